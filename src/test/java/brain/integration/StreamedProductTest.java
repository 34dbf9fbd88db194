package brain.integration;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import brain.blas.OpenBlas;
import brain.testing.TestGrid;
import brain.testing.Timelines;
import brain.worker.HeadlessWorker;
import brain.worker.MatrixEngine;
import brain.worker.NativeBlasEngine;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A headless worker with OpenBLAS multiplies B's rows as they arrive: its socket and its HTTP
 * connections go through a real TCP proxy on 127.0.0.1 that paces what the server sends (4 MiB/s,
 * a slow uplink), so a chunk's A (256 KiB) is here long before its B (4 MiB). The product is
 * right, and bands of B were taken in before B was whole; B's transfer cut mid-body fails the
 * chunk with the reason, and the job still completes right.
 */
@Timeout(120)
class StreamedProductTest {
  private static final int ROWS = 128;
  private static final int K = 1024;
  private static final int N = 1024;
  private static final String JOB = "{\"rowsA\":" + ROWS + ",\"colsA\":" + K + ",\"colsB\":" + N + ",\"chunkRows\":64}";

  private TestGrid grid;
  private Vertx proxyVertx;
  /** The bands each product began in the worker was given, in order: {k0, k1}. */
  private final List<List<int[]>> products = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    assumeTrue(OpenBlas.availability().loaded(), "OpenBLAS does not load here: " + OpenBlas.availability().reason());
    grid = TestGrid.start();
    proxyVertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    if (grid != null) {
      grid.close();
    }
    if (proxyVertx != null) {
      proxyVertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("B arriving slowly: bands of it multiplied before it is whole, product right")
  void bandsTakenBeforeBIsWhole() throws Exception {
    int port = proxy(4 << 20, Long.MAX_VALUE);
    grid.worker(HeadlessWorker.Options.of("127.0.0.1", port, "streaming", recording(NativeBlasEngine.create(1))).withSlots(2));
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit(JOB);
      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, ROWS, K, N);
    }
    assertFalse(products.isEmpty(), "a product was begun before B was whole");
    for (List<int[]> bands : products) {
      assertTrue(bands.size() >= 2 && bands.get(0)[1] < K, "the first band came before B's last row: "
          + bands.stream().map(b -> b[0] + ".." + b[1]).toList());
      for (int i = 0; i < bands.size(); i++) { // in order, without gaps, to the end
        assertEquals(i == 0 ? 0 : bands.get(i - 1)[1], bands.get(i)[0]);
      }
      assertEquals(K, bands.get(bands.size() - 1)[1]);
    }
  }

  @Test
  @DisplayName("B's transfer cut mid-body: the chunk fails with the reason, and the job completes right")
  void cutTransferFailsTheChunk() throws Exception {
    int port = proxy(4 << 20, 1 << 20); // the first connection to pass 1 MiB (B's fetch) is closed there
    grid.worker(HeadlessWorker.Options.of("127.0.0.1", port, "cut", recording(NativeBlasEngine.create(1))).withSlots(2));
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit(JOB);
      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, ROWS, K, N);
      assertTrue(Timelines.of(grid, id).stream().anyMatch(e -> e.encode().contains("could not fetch its inputs")),
          "the cut was reported: " + Timelines.of(grid, id));
    }
  }

  /**
   * A TCP proxy to the grid: what the worker sends passes as it is; what the server sends is
   * paced to {@code bytesPerSecond}, and the first connection to pass {@code cutAfter} bytes is
   * closed there. Returns its port.
   */
  private int proxy(long bytesPerSecond, long cutAfter) throws Exception {
    AtomicBoolean cut = new AtomicBoolean();
    var server = proxyVertx.createNetServer().connectHandler(worker -> {
      worker.pause();
      proxyVertx.createNetClient().connect(grid.port(), "127.0.0.1").onSuccess(upstream -> {
        long[] sent = {0};
        worker.handler(upstream::write);
        upstream.handler(piece -> {
          sent[0] += piece.length();
          if (sent[0] > cutAfter && cut.compareAndSet(false, true)) {
            worker.close();
            upstream.close();
            return;
          }
          worker.write(piece);
          upstream.pause();
          proxyVertx.setTimer(Math.max(1, piece.length() * 1000L / bytesPerSecond), t -> upstream.resume());
        });
        closeTogether(worker, upstream);
        worker.resume();
      }).onFailure(err -> worker.close());
    });
    return server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
  }

  private static void closeTogether(NetSocket one, NetSocket other) {
    one.closeHandler(v -> other.close());
    other.closeHandler(v -> one.close());
  }

  /** The engine, recording the bands of every product it begins. */
  private MatrixEngine recording(MatrixEngine engine) {
    return new MatrixEngine() {
      @Override
      public String description() {
        return engine.description();
      }

      @Override
      public float[] multiply(float[] a, int rows, int colsA, float[] b, int colsB) {
        return engine.multiply(a, rows, colsA, b, colsB);
      }

      @Override
      public boolean accumulates() {
        return engine.accumulates();
      }

      @Override
      public Accumulation accumulate(float[] a, int rows, int colsA, float[] b, int colsB) {
        Accumulation product = engine.accumulate(a, rows, colsA, b, colsB);
        List<int[]> bands = new CopyOnWriteArrayList<>();
        products.add(bands);
        return new Accumulation() {
          @Override
          public void add(int k0, int k1) {
            bands.add(new int[] {k0, k1});
            product.add(k0, k1);
          }

          @Override
          public float[] finish() {
            return product.finish();
          }

          @Override
          public void close() {
            product.close();
          }
        };
      }
    };
  }
}

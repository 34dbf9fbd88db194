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
 * A headless worker with OpenBLAS multiplies A's and B's rows as they arrive: its socket and its
 * HTTP connections go through a real TCP proxy on 127.0.0.1 that paces what the server sends
 * (4 MiB/s, a slow uplink), so B (4 MiB) takes a second to arrive. The product is right, and rows
 * were taken in before B was whole; B's transfer cut mid-body fails the chunk with the reason,
 * and the job still completes right.
 */
@Timeout(120)
class StreamedProductTest {
  private static final int ROWS = 128;
  private static final int K = 1024;
  private static final int N = 1024;
  private static final String JOB = "{\"rowsA\":" + ROWS + ",\"colsA\":" + K + ",\"colsB\":" + N + ",\"chunkRows\":64}";

  private TestGrid grid;
  private Vertx proxyVertx;
  /** The takes of each product begun in the worker, in order: {A's rows, B's rows}. */
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
  @DisplayName("B arriving slowly: its rows multiplied in before it is whole, product right")
  void rowsTakenBeforeBIsWhole() throws Exception {
    int port = proxy(4 << 20, Long.MAX_VALUE);
    grid.worker(HeadlessWorker.Options.of("127.0.0.1", port, "streaming", recording(NativeBlasEngine.create(1))).withSlots(2));
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit(JOB);
      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, ROWS, K, N);
    }
    assertFalse(products.isEmpty(), "a product was begun before its inputs were whole");
    for (List<int[]> takes : products) {
      List<String> seen = takes.stream().map(t -> t[0] + "×" + t[1]).toList();
      assertTrue(takes.size() >= 2 && takes.get(0)[1] < K, "the first take came before B's last row: " + seen);
      for (int i = 1; i < takes.size(); i++) { // rows only grow
        assertTrue(takes.get(i)[0] >= takes.get(i - 1)[0] && takes.get(i)[1] >= takes.get(i - 1)[1], seen.toString());
      }
      assertArrayEquals(new int[] {64, K}, takes.get(takes.size() - 1), "all of A's and B's rows, at the end: " + seen);
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

  /** The engine, recording the takes of every product it begins. */
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
        List<int[]> takes = new CopyOnWriteArrayList<>();
        products.add(takes);
        return new Accumulation() {
          @Override
          public void take(int aRows, int bRows) {
            takes.add(new int[] {aRows, bRows});
            product.take(aRows, bRows);
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

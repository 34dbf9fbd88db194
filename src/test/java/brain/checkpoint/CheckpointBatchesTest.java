package brain.checkpoint;

import static org.junit.jupiter.api.Assertions.*;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Appends queued from one event-loop thread land on a real disk in batches, each counted only once forced. */
@Timeout(30)
class CheckpointBatchesTest {
  private static final int COLS = 4;

  @Test
  @DisplayName("200 appends in one burst: all read back, written in far fewer batches than appends; a closed log fails its appends only")
  void batchesAppendsAndReportsFailures() throws Exception {
    Path dir = Files.createTempDirectory("brain-batches");
    Vertx vertx = Vertx.vertx();
    WorkerExecutor executor = vertx.createSharedWorkerExecutor("batches-test", 2);
    try {
      ChunkLog good = ChunkLog.open(dir, "good", COLS);
      ChunkLog closed = ChunkLog.open(dir, "closed", COLS);
      closed.close();
      CheckpointBatches batches = new CheckpointBatches(executor);
      List<Future<Void>> goodAppends = new ArrayList<>();
      List<Future<Void>> closedAppends = new ArrayList<>();
      CompletableFuture<Void> settled = new CompletableFuture<>();
      vertx.runOnContext(v -> { // as the scheduler does: every append from one thread, in one burst
        for (int c = 0; c < 200; c++) {
          goodAppends.add(batches.append(good, entry(c), rows(c)));
          if (c % 50 == 0) {
            closedAppends.add(batches.append(closed, entry(c), rows(c)));
          }
        }
        List<Future<Void>> all = new ArrayList<>(goodAppends);
        all.addAll(closedAppends);
        Future.join(all).onComplete(done -> settled.complete(null));
      });
      settled.get(20, TimeUnit.SECONDS);
      assertTrue(goodAppends.stream().allMatch(Future::succeeded), "every append to the open log is on disk");
      assertTrue(closedAppends.stream().allMatch(Future::failed), "appends to a closed log fail, each");
      assertTrue(batches.batches() < 20, "200 appends queued at once go in a few batches, not one each: "
          + batches.batches());
      good.close();
      List<ChunkLog.Accepted> back = ChunkLog.read(dir, "good", COLS);
      assertEquals(200, back.size());
      for (ChunkLog.Accepted a : back) {
        assertArrayEquals(rows(a.entry().chunk()), a.values(), "rows of chunk " + a.entry().chunk());
      }
    } finally {
      executor.close();
      vertx.close().await();
    }
  }

  private static ChunkLog.Entry entry(int chunk) {
    return new ChunkLog.Entry(chunk, chunk, 1, 3, "w", "w", "node", COLS * 2L, 0.5, 0);
  }

  private static float[] rows(int chunk) {
    float[] values = new float[COLS];
    for (int i = 0; i < COLS; i++) {
      values[i] = chunk * 10 + i;
    }
    return values;
  }
}

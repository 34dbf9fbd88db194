package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestGrid;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A job whose B does not fit its workers: cut into 2-D blocks that do, computed by real
 * workers over the real bridge, checked block by block, stitched, stored and right.
 */
@Timeout(120)
class BlockJobTest {
  private static final long BUDGET = 1 << 20;
  private TestGrid grid;

  @BeforeEach
  void start() {
    grid = TestGrid.start();
  }

  @AfterEach
  void stop() {
    grid.close();
  }

  private HeadlessWorker worker(String name, long memoryBytes) {
    return grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), name, Engines.cpu(1)).withMemory(memoryBytes));
  }

  @Test
  @DisplayName("384×512·512×640 (B is 1.25 MiB) on workers declaring 1 MiB: 2-D blocks, each within budget, the product right; a worker declaring 4 KiB gets none")
  void blocksFitSmallBudgets() {
    List<HeadlessWorker> fitting = List.of(worker("ada", BUDGET), worker("bo", BUDGET), worker("cy", BUDGET));
    HeadlessWorker tiny = worker("tiny", 4096);
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":384,\"colsA\":512,\"colsB\":640}");
      JsonObject running = grid.job(id);
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 384, 512, 640);

      // 1 MiB holds a 212×212 block beside its panels; evened out: 2 row panels of 192, 4 column panels of 160.
      JsonObject view = grid.job(id);
      assertEquals(8, view.getInteger("chunksTotal"), view.encodePrettily());
      assertEquals(8, view.getInteger("chunksDone"));
      assertTrue(view.getJsonObject("verification").getBoolean("passed"));
      if ("running".equals(running.getString("status"))) {
        assertEquals(160, running.getInteger("blockCols"), running.encodePrettily());
      }
    }
    long computed = 0;
    for (HeadlessWorker w : fitting) {
      assertTrue(w.largestChunkBytes() <= BUDGET, "a chunk needed " + w.largestChunkBytes() + " bytes on a 1 MiB worker");
      computed += w.chunksDone();
    }
    assertTrue(computed >= 8, "the fitting workers computed the blocks");
    assertEquals(0, tiny.chunksDone(), "no block fits 4 KiB");
    assertEquals(0, tiny.largestChunkBytes());
  }

  @Test
  @DisplayName("a job whose B and a row fit every worker keeps its row slices: no behaviour change")
  void rowSlicesWhenBFits() {
    HeadlessWorker w = worker("roomy", BUDGET);
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":157,\"colsA\":93,\"colsB\":71,\"chunkRows\":16}");
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      assertEquals(10, grid.job(id).getInteger("chunksTotal"));
      grid.assertJobProduct(id, 157, 93, 71);
    }
    assertTrue(w.largestChunkBytes() <= BUDGET);
  }

  @Test
  @DisplayName("a job whose 1×k·k×1 block exceeds scheduler.minMemoryBytes is refused at submission with 422 naming the budget")
  void tooLongForAnyWorker() {
    grid.close();
    grid = TestGrid.start(java.util.Map.of("scheduler.minMemoryBytes", 65536));
    java.net.http.HttpResponse<String> refused = grid.post("/api/jobs", "{\"rowsA\":2,\"colsA\":9000,\"colsB\":2}");
    assertEquals(422, refused.statusCode(), refused.body());
    assertTrue(refused.body().contains("scheduler.minMemoryBytes (65536)"), refused.body());
    java.net.http.HttpResponse<String> fits = grid.post("/api/jobs", "{\"rowsA\":2,\"colsA\":8000,\"colsB\":2}");
    assertEquals(202, fits.statusCode(), fits.body());
  }

  @Test
  @DisplayName("protocol-1 workers declaring 1 MiB get B column panel by column panel as b parts, replace the one they hold, and compute the blocks right")
  void protocolOneBlocks() {
    brain.testing.RawWorker first = brain.testing.RawWorker.join(grid, "w-raw-blocks-1", "raw-1", 1, BUDGET);
    brain.testing.RawWorker second = brain.testing.RawWorker.join(grid, "w-raw-blocks-2", "raw-2", 1, BUDGET);
    try (first; second; TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":384,\"colsA\":512,\"colsB\":640}");
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 384, 512, 640);
      assertEquals(8, grid.job(id).getInteger("chunksTotal"));
      for (brain.testing.RawWorker w : List.of(first, second)) {
        java.util.Set<Integer> panels = new java.util.HashSet<>();
        for (JsonObject m : w.received()) {
          if ("b".equals(m.getString("type"))) {
            assertEquals(160, m.getInteger("cols"), "a part of a 160-column panel");
            panels.add(m.getInteger("colStart"));
          }
          if ("chunk".equals(m.getString("type"))) {
            long need = ((long) m.getInteger("rows") * 512 + 512L * m.getInteger("colsB")
                + (long) m.getInteger("rows") * m.getInteger("colsB")) * Float.BYTES;
            assertTrue(need <= BUDGET, "a block needing " + need + " bytes");
          }
        }
        assertFalse(panels.isEmpty(), w.name() + " was sent B panels");
      }
    }
  }
}

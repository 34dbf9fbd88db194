package brain.browser;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Browser;
import brain.testing.TestGrid;
import com.microsoft.playwright.Page;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real worker tabs in headless Chromium that declare a small memory budget ({@code ?memory=1m}):
 * a job whose B (1.25 MiB) does not fit is cut into 2-D blocks, the tabs replace their B panel as
 * the blocks move across column panels, and the product is right.
 */
@Timeout(180)
class BlockTabTest {
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

  @Test
  @DisplayName("a WebGPU tab and a CPU tab declaring 1 MiB compute 384×512·512×640 in 2-D blocks, each block within budget, the product right")
  void tabsComputeBlocks() {
    try (Browser gpu = Browser.withWebGpu(); Browser cpu = Browser.withoutWebGpu(); TestGrid.JobWatch watch = grid.watch()) {
      Page first = WorkerTabTest.openWorker(gpu, grid, "engine=webgpu&memory=1m&name=small-gpu-tab");
      Page second = WorkerTabTest.openWorker(cpu, grid, "memory=1m&name=small-cpu-tab");
      for (Page tab : new Page[] {first, second}) {
        assertEquals(String.valueOf(BUDGET), tab.getAttribute("body", "data-memory-bytes"), "the tab declares ?memory");
      }
      String id = grid.submit("{\"rowsA\":384,\"colsA\":512,\"colsB\":640}");
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 384, 512, 640);
      JsonObject view = grid.job(id);
      assertEquals(8, view.getInteger("chunksTotal"), "2 row panels × 4 column panels: " + view.encodePrettily());
      int blocks = 0;
      for (Page tab : new Page[] {first, second}) {
        int chunks = Integer.parseInt(tab.textContent("#chunks-done").trim());
        blocks += chunks;
        if (chunks > 0) {
          long largest = Long.parseLong(tab.getAttribute("body", "data-largest-chunk-bytes"));
          assertTrue(largest > 0 && largest <= BUDGET, "a block needed " + largest + " bytes in a 1 MiB tab");
        }
      }
      assertTrue(blocks >= 8, "the tabs computed the blocks: " + blocks);
      assertEquals(java.util.List.of(), gpu.problems());
      assertEquals(java.util.List.of(), cpu.problems());
    }
  }
}

package brain.browser;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Browser;
import brain.testing.TestGrid;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.WaitForSelectorState;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real worker tabs in headless Chromium: the page connects through SockJS, the tab compiles
 * shaders/matmul.wgsl and runs it on WebGPU (SwiftShader here), or falls back to its CPU engine.
 */
@Timeout(180)
class WorkerTabTest {
  private TestGrid grid;

  @BeforeEach
  void start() {
    grid = TestGrid.start(Map.of("scheduler.inlineMaxBytes", 1024)); // the tiny job inline, the others over the data plane
  }

  @AfterEach
  void stop() {
    grid.close();
  }

  static Page openWorker(Browser browser, TestGrid grid, String query) {
    return openWorker(browser, grid.baseUrl(), query);
  }

  static Page openWorker(Browser browser, String baseUrl, String query) {
    Page page = browser.open(baseUrl + "/worker.html?" + query);
    page.waitForSelector("body[data-ready=true]", new Page.WaitForSelectorOptions().setTimeout(60_000));
    page.waitForSelector("#connection[data-state=connected]", new Page.WaitForSelectorOptions()
        .setState(WaitForSelectorState.ATTACHED));
    return page;
  }

  @Test
  @DisplayName("two WebGPU tabs compute a job whose sizes are not multiples of the tile, and get it right")
  void twoWebGpuTabs() {
    try (Browser browser = Browser.withWebGpu(); TestGrid.JobWatch watch = grid.watch()) {
      Page first = openWorker(browser, grid, "engine=webgpu&name=gpu-tab-1");
      Page second = openWorker(browser, grid, "engine=webgpu&name=gpu-tab-2");
      for (Page tab : new Page[] {first, second}) {
        assertEquals("webgpu", tab.getAttribute("#engine", "data-engine"));
        assertTrue(tab.textContent("#engine").toLowerCase().contains("swiftshader"), tab.textContent("#engine"));
      }
      String id = grid.submit("{\"rowsA\":150,\"colsA\":67,\"colsB\":93,\"chunkRows\":16}");
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 150, 67, 93);
      assertEquals(2, grid.job(id).getInteger("workersUsed"), "both tabs took chunks");

      int firstDone = Integer.parseInt(first.textContent("#chunks-done").trim());
      int secondDone = Integer.parseInt(second.textContent("#chunks-done").trim());
      assertEquals(10, firstDone + secondDone, "the tabs show the chunks they did");
      Browser.screenshot(first, "worker-tab-webgpu");
      assertEquals(java.util.List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("a tab without WebGPU uses its CPU engine and still gets the product right")
  void cpuFallback() {
    try (Browser browser = Browser.withoutWebGpu(); TestGrid.JobWatch watch = grid.watch()) {
      Page tab = openWorker(browser, grid, "name=cpu-tab");
      assertEquals("cpu", tab.getAttribute("#engine", "data-engine"));
      String id = grid.submit("{\"rowsA\":77,\"colsA\":131,\"colsB\":29,\"chunkRows\":10}");
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 77, 131, 29);
      Browser.screenshot(tab, "worker-tab-cpu");
      assertEquals(java.util.List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("a worker tab closed mid-job loses its chunks to the other tab, and the job completes right")
  void tabClosedMidJob() {
    try (Browser browser = Browser.withWebGpu(); TestGrid.JobWatch watch = grid.watch()) {
      Page leaving = openWorker(browser, grid, "engine=cpu&slots=2&name=leaving-tab");
      Page staying = openWorker(browser, grid, "engine=cpu&slots=2&name=staying-tab");
      String id = grid.submit("{\"rowsA\":400,\"colsA\":301,\"colsB\":203,\"chunkRows\":4}");
      leaving.waitForFunction("() => Number(document.querySelector('#chunks-done').textContent) >= 2");
      JsonObject before = grid.job(id);
      assertEquals("running", before.getString("status"));
      assertTrue(before.getInteger("chunksDone") < before.getInteger("chunksTotal") / 2, "closed early in the job");
      browser.closeTab(leaving);
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 400, 301, 203);
      var events = new JsonObject(grid.get("/api/jobs/" + id + "/timeline").body()).getJsonArray("events").stream()
          .map(JsonObject.class::cast).toList();
      var lost = events.stream().filter(e -> "lost".equals(e.getString("type"))).toList();
      assertFalse(lost.isEmpty(), "the closed tab held chunks");
      lost.forEach(e -> {
        assertEquals("leaving-tab", e.getString("worker"));
        assertEquals("socket closed", e.getString("detail"));
      });
      Browser.screenshot(staying, "worker-tab-after-other-closed");
      assertEquals(java.util.List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("a tab registers again with a newly elected scheduler, on its socket, without reloading")
  void followsANewScheduler() throws Exception {
    try (Browser browser = Browser.withoutWebGpu(); TestGrid.JobWatch watch = grid.watch()) {
      Page tab = openWorker(browser, grid, "name=follower");
      String workerId = tab.textContent("#worker-id").trim();
      String session = tab.textContent("#session-id").trim();
      tab.evaluate("() => { window.notReloaded = true; }");
      // Another holder takes the lease (as another node would) and lets it lapse at once (as a dead one
      // would): this server steps down at its next renewal, is elected again and announces itself.
      try (var db = grid.database()) {
        assertEquals(1, db.createStatement().executeUpdate("UPDATE scheduler_lease SET holder = 'elsewhere', "
            + "fence = fence + 1, expires_at = " + (System.currentTimeMillis() + 1000) + " WHERE id = 1"));
      }
      tab.waitForFunction("old => document.querySelector('#session-id').textContent.trim() !== old"
          + " && document.body.dataset.ready === 'true'", session, new Page.WaitForFunctionOptions().setTimeout(30_000));
      assertEquals(true, tab.evaluate("() => window.notReloaded === true"), "the page was not reloaded");
      assertEquals(workerId, tab.textContent("#worker-id").trim(), "same worker id with the new scheduler");
      String id = grid.submit("{\"rowsA\":60,\"colsA\":40,\"colsB\":30,\"chunkRows\":10}");
      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, 60, 40, 30);
      assertEquals(1, grid.job(id).getInteger("workersUsed"), "the tab computed for the new scheduler");
      assertEquals(java.util.List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("a tab whose connection drops reconnects with the same identity; its contribution is counted once")
  void reconnectKeepsIdentity() throws Exception {
    try (Browser browser = Browser.withoutWebGpu(); TestGrid.JobWatch watch = grid.watch()) {
      Page tab = openWorker(browser, grid, "name=steadfast");
      String workerId = tab.textContent("#worker-id").trim();
      String first = grid.submit("{\"rowsA\":60,\"colsA\":40,\"colsB\":30,\"chunkRows\":10}");
      assertEquals("completed", watch.finished(first).getString("status"));

      String session = tab.textContent("#session-id").trim();
      tab.evaluate("() => window.brainWorker.dropConnection()");
      // A new session on a new socket, registered and listening again.
      tab.waitForFunction("old => document.querySelector('#session-id').textContent.trim() !== old"
          + " && document.querySelector('#connection').dataset.state === 'connected'"
          + " && document.body.dataset.ready === 'true'", session, new Page.WaitForFunctionOptions().setTimeout(30_000));
      assertEquals(workerId, tab.textContent("#worker-id").trim(), "same worker id after reconnecting");

      String second = grid.submit("{\"rowsA\":40,\"colsA\":40,\"colsB\":30,\"chunkRows\":10}");
      assertEquals("completed", watch.finished(second).getString("status"));
      grid.assertJobProduct(second, 40, 40, 30);
      try (var db = grid.database(); var row = db.createStatement().executeQuery(
          "SELECT tasks_completed, sessions_joined FROM leaderboard WHERE worker_id = '" + workerId + "'")) {
        assertTrue(row.next(), "one leaderboard row for the worker id");
        assertEquals(6 + 4, row.getInt(1), "every accepted chunk counted once");
        assertEquals(2, row.getInt(2), "two sessions joined");
      }
      assertEquals(java.util.List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("a job of tiny payloads reaches the tab inline (B in b parts, A in the chunk, result on the bus): product right, no data-plane request")
  void tinyJobInline() throws Exception {
    try (Browser browser = Browser.withoutWebGpu(); TestGrid.JobWatch watch = grid.watch()) {
      Page tab = openWorker(browser, grid, "name=inline");
      String dataRequests = "() => performance.getEntriesByType('resource').filter(e => e.name.includes('/data/')).length";
      // A rows 4×16×4 = 256 B, B 16×16×4 = 1 KiB, C rows 256 B: each within scheduler.inlineMaxBytes (1 KiB here).
      String id = grid.submit("{\"rowsA\":16,\"colsA\":16,\"colsB\":16,\"chunkRows\":4}");
      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, 16, 16, 16);
      assertEquals(1, grid.job(id).getInteger("workersUsed"), "the tab computed it");
      assertEquals(0, ((Number) tab.evaluate(dataRequests)).intValue(), "nothing fetched or uploaded over HTTP");
      assertEquals(java.util.List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("a tab fetches ahead the A slices its chunk messages name in prefetch: each slice and B fetched once, product right")
  void tabFetchesAhead() throws Exception {
    try (Browser browser = Browser.withoutWebGpu(); TestGrid.JobWatch watch = grid.watch()) {
      java.util.List<String> named = new java.util.concurrent.CopyOnWriteArrayList<>();
      Page tab = browser.open("about:blank"); // the frames are watched from the socket's first
      tab.onWebSocket(ws -> ws.onFrameReceived(frame -> {
        java.util.regex.Matcher ids = java.util.regex.Pattern.compile("\\\\?\"prefetch\\\\?\":\\[(.*?)\\]")
            .matcher(String.valueOf(frame.text()));
        while (ids.find()) {
          java.util.regex.Matcher id = java.util.regex.Pattern.compile("[dg]-[0-9a-f]{32}").matcher(ids.group(1));
          while (id.find()) {
            named.add(id.group());
          }
        }
      }));
      tab.navigate(grid.baseUrl() + "/worker.html?name=ahead");
      tab.waitForSelector("body[data-ready=true]", new Page.WaitForSelectorOptions().setTimeout(60_000));
      tab.waitForSelector("#connection[data-state=connected]", new Page.WaitForSelectorOptions()
          .setState(WaitForSelectorState.ATTACHED));
      // 8 chunks of 8 rows: A slices 8×96 (3 KiB, over the 1 KiB inline limit), B 96×64.
      String id = grid.submit("{\"rowsA\":64,\"colsA\":96,\"colsB\":64,\"chunkRows\":8,\"seed\":11}");
      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, 64, 96, 64);
      // Playwright hands over the frames' events on its next call: this one.
      @SuppressWarnings("unchecked")
      java.util.List<String> fetched = (java.util.List<String>) tab.evaluate("() => performance.getEntriesByType('resource')"
          + ".map(e => e.name).filter(n => n.includes('/data/') && !n.includes('/data/results/'))"
          + ".map(n => n.replace(/^.*\\/data\\//, '').replace(/\\?.*$/, ''))");
      assertFalse(named.isEmpty(), "chunk messages named slices to fetch ahead");
      int ahead = Integer.parseInt(String.valueOf(tab.evaluate("() => document.body.dataset.fetchedAhead || '0'")));
      assertTrue(ahead >= 1, "the tab fetched slices before a chunk named them as its input: " + ahead);
      assertEquals(9, fetched.size(), "8 A slices and B, each once: " + fetched);
      assertEquals(9, new java.util.HashSet<>(fetched).size(), "none twice: " + fetched);
      assertTrue(fetched.containsAll(new java.util.HashSet<>(named)), "what was named ahead was fetched: " + named);
      assertEquals(java.util.List.of(), browser.problems());
    }
  }
}

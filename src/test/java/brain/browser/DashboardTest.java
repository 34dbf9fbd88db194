package brain.browser;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Browser;
import brain.testing.TestGrid;
import brain.worker.HeadlessWorker;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.WebSocketRoute;
import com.microsoft.playwright.options.ColorScheme;
import com.microsoft.playwright.options.WaitForSelectorState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dashboard (GET /) in real headless Chromium against the real server: live counts, the
 * submit form, heatmap and verification, leaderboard against the database, replay and cancel,
 * and the Gantt timeline of a job whose worker tab is closed while it holds a chunk.
 */
@Timeout(90)
class DashboardTest extends BrowserGridTest {
  private static final double WAIT_MS = 30_000;


  // ------------------------------------------------------------------ helpers

  private Page dashboard(int width, int height) {
    Page page = browser.open(grid.baseUrl() + "/?token=" + TestGrid.ADMIN_TOKEN, width, height); // signs in as the admin
    page.setDefaultTimeout(WAIT_MS);
    page.waitForSelector("body[data-ready=true]");
    page.waitForSelector("#bus-status[data-state=connected]");
    return page;
  }

  private Page workerTab(String query) {
    Page tab = WorkerTabTest.openWorker(browser, grid, query);
    tab.setDefaultTimeout(WAIT_MS);
    return tab;
  }

  /** Waits until the element's text is exactly {@code text} (trimmed). */
  private static void waitForText(Page page, String selector, String text) {
    page.waitForFunction("([s, t]) => { const e = document.querySelector(s); return !!e && e.textContent.trim() === t; }",
        List.of(selector, text));
  }

  private static int activeWorkersShown(Page page) {
    return Integer.parseInt(page.textContent("#h-workers").trim());
  }

  private int activeWorkersOnServer() {
    return new JsonObject(grid.get("/api/health").body()).getInteger("activeWorkers");
  }

  private void assertNoConsoleErrors() {
    assertEquals(List.of(), browser.problems(), "console errors or page errors");
  }

  /** Waits for finite animations (rows gliding, highlights) to end, so a screenshot shows the settled page. */
  private static void settle(Page page) {
    page.waitForFunction("() => document.getAnimations().every(a => a.playState !== 'running'"
        + " || a.effect.getComputedTiming().endTime === Infinity)");
  }

  private static void screenshot(Page page, String name) {
    page.evaluate("() => window.scrollTo(0, 0)"); // the sticky top bar belongs at the top of a full-page picture
    settle(page);
    Browser.screenshot(page, name);
  }

  /** Full-page screenshots at the three sizes the dashboard is judged at; none may scroll sideways. */
  private static void screenshots(Page page, String name) {
    int[][] sizes = {{390, 844}, {1280, 800}, {1920, 1080}};
    for (int[] size : sizes) {
      page.setViewportSize(size[0], size[1]);
      page.waitForFunction("w => window.innerWidth === w", size[0]);
      page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
      int overflow = ((Number) page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")).intValue();
      assertTrue(overflow <= 0, "the page scrolls sideways by " + overflow + " px at " + size[0] + " px wide");
      screenshot(page, name + "-" + size[0] + "x" + size[1]);
    }
  }

  // ------------------------------------------------------------------ tests

  @Test
  @DisplayName("health shows the right worker count as real worker tabs and a headless worker join and leave")
  void countsFollowWorkers() {
    Page page = dashboard(1280, 800);
    waitForText(page, "#h-workers", "0");
    assertEquals("connected", page.getAttribute("#h-bus", "data-state"), "the page shows its own event-bus status");

    Page first = workerTab("engine=cpu&name=tab-one");
    waitForText(page, "#h-workers", "1");
    page.waitForSelector("#workers-rows tr[data-state=idle] >> text=tab-one");

    Page second = workerTab("engine=cpu&name=tab-two");
    waitForText(page, "#h-workers", "2");

    HeadlessWorker jvm = grid.worker("jvm-one");
    waitForText(page, "#h-workers", "3");
    assertEquals(3, activeWorkersOnServer());
    assertEquals(3, page.locator("#workers-rows tr:not([data-state=lost])").count());
    assertEquals("CPU", page.locator("#workers-rows tr:has-text('tab-one') .pill-engine").textContent().trim());

    browser.closeTab(first);
    waitForText(page, "#h-workers", "2");
    assertEquals(2, activeWorkersOnServer());
    // The closed tab stays listed for a while as lost, with the reason.
    page.waitForSelector("#workers-rows tr[data-state=lost] >> text=tab-one");
    assertTrue(page.textContent("#workers-rows tr[data-state=lost]").contains("socket closed"),
        page.textContent("#workers-rows tr[data-state=lost]"));

    TestGrid.await(jvm.stop());
    waitForText(page, "#h-workers", "1");
    browser.closeTab(second);
    waitForText(page, "#h-workers", "0");
    assertEquals(0, activeWorkersShown(page));
    assertEquals(0, activeWorkersOnServer());
    assertNoConsoleErrors();
  }

  @Test
  @DisplayName("a job submitted from the form completes; its heatmap, verification and metrics appear; bad input shows the server's reason")
  void submitFromForm() {
    grid.worker("jvm-helper");
    Page tab = workerTab("engine=cpu&name=form-tab");
    Page page = dashboard(1280, 800);

    // Bad input: the server's own message, next to the field it names.
    page.fill("#f-rowsA", "0");
    page.click("#submit-button");
    page.waitForSelector("#submit-error:not([hidden])");
    assertEquals("rowsA must be between 1 and 65536, got 0", page.textContent("#submit-error").trim());
    assertEquals("true", page.getAttribute("#f-rowsA", "aria-invalid"));

    try (TestGrid.JobWatch watch = grid.watch()) {
      page.fill("#f-rowsA", "180");
      page.fill("#f-colsA", "70");
      page.fill("#f-colsB", "90");
      page.fill("#f-seed", "12345");
      page.selectOption("#f-verify", "full");
      page.fill("#f-chunkRows", "20");
      page.press("#f-chunkRows", "Enter"); // keyboard submit
      page.waitForSelector("#submit-ok:not([hidden])");
      assertNull(page.getAttribute("#f-rowsA", "aria-invalid"), "the error is gone");
      String id = page.getAttribute("#job", "data-job-id");
      assertNotNull(id);
      assertFalse(id.isEmpty());
      // It shows up in the live list and the history at once.
      page.waitForSelector("#job-list li[data-job-id='" + id + "']");
      page.waitForSelector("#history-rows tr[data-job-id='" + id + "']");

      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      JsonObject stored = grid.job(id);
      assertEquals(180, stored.getInteger("rowsA"));
      assertEquals(70, stored.getInteger("colsA"));
      assertEquals(90, stored.getInteger("colsB"));
      assertEquals(12345L, stored.getLong("seed"));
      assertEquals("full", stored.getString("verify"));
      assertEquals(20, stored.getInteger("chunkRows"));

      page.waitForSelector("#job[data-status=completed]");
      waitForText(page, "#job-chunks", "9 / 9 chunks");
      assertEquals("100", page.getAttribute("#job-progress", "aria-valuenow"));
      page.waitForSelector("#job-verification[data-state=passed]");
      assertEquals("Verified", page.textContent("#verification-title").trim());
      assertTrue(page.textContent("#verification-detail").contains("full recomputation"), page.textContent("#verification-detail"));

      page.waitForSelector("#heatmap[data-drawn=true]");
      JsonObject preview = new JsonObject(grid.get("/api/jobs/" + id + "/result/preview?size=128").body());
      @SuppressWarnings("unchecked")
      Map<String, Object> drawn = (Map<String, Object>) page.evaluate("() => {"
          + " const c = document.getElementById('heatmap'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
          + " const colours = new Set(); for (let i = 0; i < d.length; i += 4) colours.add(d[i] << 16 | d[i + 1] << 8 | d[i + 2]);"
          + " return { width: c.width, height: c.height, colours: colours.size, shown: c.getBoundingClientRect().width }; }");
      assertEquals(preview.getInteger("cols"), ((Number) drawn.get("width")).intValue(), "one canvas pixel per preview cell");
      assertEquals(preview.getInteger("rows"), ((Number) drawn.get("height")).intValue());
      assertTrue(((Number) drawn.get("colours")).intValue() > 50, "a picture, not a blank: " + drawn);
      assertTrue(((Number) drawn.get("shown")).doubleValue() > 150, "drawn large enough to see: " + drawn);
      assertFalse(page.textContent("#legend-min").isBlank());
      assertTrue(page.textContent("#heatmap-caption").contains("C is 180×90"), page.textContent("#heatmap-caption"));

      assertTrue(page.textContent("#m-bytes").trim().endsWith("MB"), page.textContent("#m-bytes"));
      assertTrue(page.textContent("#m-efficiency").trim().endsWith("%"), page.textContent("#m-efficiency"));
      assertEquals("12345", page.textContent("#job-seed").trim());
      page.waitForSelector("#network-charts[data-jobs='1']");
      int used = grid.job(id).getInteger("workersUsed");
      assertEquals(used + (used == 1 ? " worker" : " workers"), page.textContent("#job-workers").trim());
    }
    screenshot(page, "dashboard-submitted-1280x800");
    screenshot(tab, "worker-tab-after-form-job");
    // The one expected console line: Chromium reports the 400 answer to the bad submission.
    List<String> problems = new ArrayList<>(browser.problems());
    problems.removeIf(p -> p.contains("Failed to load resource: the server responded with a status of 400"));
    assertEquals(List.of(), problems);
  }

  @Test
  @DisplayName("leaderboard ranks on the page match the database, medals on the top three, live when ranks change; the worker tab shows its rank")
  void leaderboardMatchesDatabase() throws Exception {
    HeadlessWorker a = grid.worker("jvm-a");
    HeadlessWorker b = grid.worker("jvm-b");
    Page tab = workerTab("engine=cpu&name=tab-c");
    String tabWorkerId = tab.textContent("#worker-id").trim();
    Page page = dashboard(1280, 800);

    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":96,\"colsA\":60,\"colsB\":50,\"chunkRows\":8}");
      assertEquals("completed", watch.finished(id).getString("status"));
    }
    List<String[]> ranked = databaseRanking();
    assertEquals(3, ranked.size(), "three contributors");
    waitForLeaderboard(page, ranked, null);
    assertMedals(page, ranked);

    // The worker tab got its standing from the server: its rank is the database's.
    tab.waitForSelector("#standing[data-known=true]");
    int tabRank = rankOf(ranked, tabWorkerId);
    assertEquals("#" + tabRank, tab.textContent("#stats-rank").trim());
    screenshot(tab, "worker-tab-standing");

    // Only the last of them computes a much larger job: it climbs to first, and the row moves.
    String climber = ranked.get(ranked.size() - 1)[0];
    String climberName = ranked.get(ranked.size() - 1)[1];
    for (HeadlessWorker w : List.of(a, b)) {
      if (!w.workerId().equals(climber)) {
        TestGrid.await(w.stop());
      }
    }
    if (!tabWorkerId.equals(climber)) {
      browser.closeTab(tab);
    }
    waitForText(page, "#h-workers", "1");
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":800,\"colsA\":600,\"colsB\":600,\"chunkRows\":100}");
      assertEquals("completed", watch.finished(id).getString("status"));
    }
    List<String[]> after = databaseRanking();
    assertEquals(climber, after.get(0)[0], climberName + " computed 288M multiply-adds alone (the first job had 0.3M in all) and leads");
    waitForLeaderboard(page, after, brain.model.WorkerLabel.of(climber));
    assertMedals(page, after);
    screenshot(page, "dashboard-leaderboard-1280x800");
    assertNoConsoleErrors();
  }

  /** [workerId, name, rank, tasks, label] in the database's order (the server's own ORDER BY). */
  private List<String[]> databaseRanking() throws Exception {
    List<String[]> rows = new ArrayList<>();
    try (Connection db = grid.database(); ResultSet rs = db.createStatement().executeQuery(
        "SELECT worker_id, display_name, total_compute_ms, tasks_completed FROM leaderboard "
            + "ORDER BY verified_multiply_adds DESC, total_compute_ms DESC, worker_id LIMIT 10")) {
      int rank = 0;
      while (rs.next()) {
        rows.add(new String[] {rs.getString(1), rs.getString(2), String.valueOf(++rank), String.valueOf(rs.getLong(4)),
            brain.model.WorkerLabel.of(rs.getString(1))});
      }
    }
    return rows;
  }

  private static int rankOf(List<String[]> ranked, String workerId) {
    return ranked.stream().filter(r -> r[0].equals(workerId)).mapToInt(r -> Integer.parseInt(r[2])).findFirst()
        .orElseThrow(() -> new AssertionError(workerId + " is not on the leaderboard"));
  }

  /** Waits until the page lists exactly these workers, in this order, with these ranks (and, if given, one row marked as moved up). */
  private static void waitForLeaderboard(Page page, List<String[]> ranked, String movedUp) {
    List<String> ids = ranked.stream().map(r -> r[4]).toList();
    List<String> ranks = ranked.stream().map(r -> r[2]).toList();
    List<String> chunks = ranked.stream().map(r -> r[3] + (r[3].equals("1") ? " chunk" : " chunks")).toList();
    page.waitForFunction("([ids, ranks, chunks, moved]) => {"
        + " const items = [...document.querySelectorAll('#leaderboard-list > li')];"
        + " return items.length === ids.length && items.every((li, i) => li.dataset.workerId === ids[i]"
        + "   && li.dataset.rank === ranks[i] && li.querySelector('.lb-chunks').textContent === chunks[i])"
        + "   && (!moved || items.some(li => li.dataset.workerId === moved && li.dataset.moved === 'up')); }",
        java.util.Arrays.asList(ids, ranks, chunks, movedUp));
    for (String[] r : ranked) {
      String item = "#leaderboard-list > li[data-worker-id='" + r[4] + "']";
      assertEquals(r[1], page.textContent(item + " .lb-name").trim());
      assertEquals(r[2], page.textContent(item + " .lb-badge").trim());
    }
  }

  private static void assertMedals(Page page, List<String[]> ranked) {
    String[] medals = {"gold", "silver", "bronze"};
    for (int i = 0; i < ranked.size(); i++) {
      String medal = page.getAttribute("#leaderboard-list > li[data-worker-id='" + ranked.get(i)[4] + "'] .lb-badge", "data-medal");
      assertEquals(i < 3 ? medals[i] : "", medal, "badge of rank " + (i + 1));
    }
  }

  @Test
  @DisplayName("Replay on the page creates a new job with the same spec and seed; Cancel stops a running job")
  void replayAndCancel() {
    HeadlessWorker replayer = grid.worker("jvm-replayer");
    String original;
    try (TestGrid.JobWatch watch = grid.watch()) {
      original = grid.submit("{\"rowsA\":64,\"colsA\":48,\"colsB\":40,\"seed\":777,\"verify\":\"freivalds\",\"chunkRows\":16}");
      assertEquals("completed", watch.finished(original).getString("status"));
    }
    Page page = dashboard(1280, 800);
    String row = "#history-rows tr[data-job-id='" + original + "']";
    page.waitForSelector(row + "[data-status=completed]");

    String replay;
    try (TestGrid.JobWatch watch = grid.watch()) {
      page.click(row + " .replay-button");
      page.waitForFunction("id => { const j = document.getElementById('job').dataset.jobId; return !!j && j !== id; }", original);
      replay = page.getAttribute("#job", "data-job-id");
      assertEquals("completed", watch.finished(replay).getString("status"));
    }
    JsonObject a = grid.job(original);
    JsonObject b = grid.job(replay);
    for (String field : List.of("rowsA", "colsA", "colsB", "seed", "verify", "chunkRows")) {
      assertEquals(a.getValue(field), b.getValue(field), field + " of the replay");
    }
    assertEquals(original, b.getString("replayOf"));
    page.waitForSelector("#job[data-status=completed]");
    page.waitForSelector("#history-rows tr[data-job-id='" + replay + "'][data-status=completed]");
    assertTrue(page.textContent("#job-replay-of").contains(original.substring(0, 8)), page.textContent("#job-replay-of"));
    assertEquals(2, page.locator("#history-rows tr").count());

    // Cancel: with only a worker that keeps its chunks, the job runs until it is cancelled from the page.
    TestGrid.await(replayer.stop());
    HeadlessWorker holder = grid.worker("jvm-holder");
    holder.behaviour((w, chunk) -> true);
    String stuck;
    try (TestGrid.JobWatch watch = grid.watch()) {
      stuck = grid.submit("{\"rowsA\":3000,\"colsA\":64,\"colsB\":64,\"chunkRows\":1000}");
      String stuckRow = "#history-rows tr[data-job-id='" + stuck + "']";
      page.waitForSelector(stuckRow + "[data-status=running]");
      page.click(stuckRow + " .cancel-button");
      assertEquals("cancelled", watch.finished(stuck).getString("status"));
      page.waitForSelector(stuckRow + "[data-status=cancelled]");
      page.waitForSelector(stuckRow + " .cancel-button", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.HIDDEN));
    }
    assertEquals("cancelled", grid.job(stuck).getString("status"));
    screenshot(page, "dashboard-history-1280x800");
    assertNoConsoleErrors();
  }

  @Test
  @DisplayName("the timeline shows the chunk of a worker tab closed mid-job as lost, and its reassignment; live, and again from the stored timeline")
  void timelineShowsReassignment() throws Exception {
    Page page = dashboard(1280, 800);

    // A real worker tab whose results never reach the server: whatever chunk it takes, it still
    // holds when it is closed. (Its page computes normally; only its results are held back.)
    Page leaving = browser.open("about:blank", 1000, 700);
    leaving.setDefaultTimeout(WAIT_MS);
    leaving.routeWebSocket(Pattern.compile(".*/eventbus/.*"), ws -> {
      WebSocketRoute server = ws.connectToServer();
      ws.onMessage(frame -> {
        String text = frame.text();
        if (text != null && text.contains("brain.worker.to.server.result")) {
          return; // dropped
        }
        if (text != null) {
          server.send(text);
        } else {
          server.send(frame.binary());
        }
      });
    });
    // Results also go up as HTTP uploads (worker protocol 2): those are held, never answered.
    leaving.route("**/data/results/**", route -> { });
    leaving.navigate(grid.baseUrl() + "/worker.html?engine=cpu&slots=1&name=leaving-tab");
    leaving.waitForSelector("body[data-ready=true]");
    leaving.waitForSelector("#connection[data-state=connected]", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.ATTACHED));

    // A headless worker that holds its chunks until told, so the job cannot end early.
    HeadlessWorker staying = grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), "staying-jvm",
        brain.worker.Engines.cpu(1)).withSlots(2));
    List<HeadlessWorker.Chunk> held = new CopyOnWriteArrayList<>();
    staying.behaviour((w, chunk) -> held.add(chunk));
    waitForText(page, "#h-workers", "2");

    String id;
    try (TestGrid.JobWatch watch = grid.watch()) {
      id = grid.submit("{\"rowsA\":60,\"colsA\":40,\"colsB\":40,\"chunkRows\":10}");
      page.click("#job-list li[data-job-id='" + id + "'] button");
      // Live: the tab's lane shows its chunk in flight.
      String tabBar = ".gantt-lane[data-worker-name='leaving-tab'] .gantt-bar";
      page.waitForSelector(tabBar + "[data-tone=open]");
      String chunk = page.getAttribute(tabBar + "[data-tone=open]", "data-chunk");
      assertEquals("running", grid.job(id).getString("status"));
      page.waitForSelector(".gantt-lane[data-worker-name='staying-jvm'] .gantt-bar[data-tone=open]");

      browser.closeTab(leaving);
      page.waitForSelector(tabBar + "[data-outcome=lost][data-chunk='" + chunk + "']");
      assertEquals("running", grid.job(id).getString("status"), "closed mid-job");

      // Let the staying worker answer what it holds, and compute from now on.
      staying.behaviour((w, c) -> false);
      for (HeadlessWorker.Chunk c : held) {
        staying.sendResult(c, TestGrid.await(grid.vertx().executeBlocking(() -> staying.computeNow(c))), 1, 0);
      }
      assertEquals("completed", watch.finished(id).getString("status"));
    }

    String reassigned = ".gantt-lane[data-worker-name='staying-jvm'] .gantt-bar[data-reassigned=true][data-outcome=done]";
    page.waitForSelector(reassigned);
    String lostChunk = page.getAttribute(".gantt-bar[data-outcome=lost]", "data-chunk");
    assertEquals(lostChunk, page.getAttribute(reassigned, "data-chunk"), "the lost chunk is the one reassigned");
    page.waitForSelector("#gantt-notes li[data-kind=reassigned]");
    String note = page.textContent("#gantt-notes li[data-kind=reassigned]");
    assertTrue(note.contains("chunk " + lostChunk) && note.contains("reassigned after lost on leaving-tab"), note);
    assertTrue(page.textContent("#gantt-summary").contains("1 reassigned"), page.textContent("#gantt-summary"));
    page.waitForSelector("#job[data-status=completed]");

    // The server's stored timeline says the same.
    JsonArray events = new JsonObject(grid.get("/api/jobs/" + id + "/timeline").body()).getJsonArray("events");
    List<JsonObject> list = events.stream().map(JsonObject.class::cast).toList();
    assertTrue(list.stream().anyMatch(e -> "lost".equals(e.getString("type")) && "leaving-tab".equals(e.getString("worker"))
        && lostChunk.equals(String.valueOf(e.getInteger("chunk")))), events.encodePrettily());

    // A page opened afterwards draws the same chart from GET /api/jobs/{id}/timeline.
    Page later = browser.open(grid.baseUrl() + "/?token=" + TestGrid.ADMIN_TOKEN + "#job=" + id, 1280, 800);
    later.setDefaultTimeout(WAIT_MS);
    later.waitForSelector("body[data-ready=true]");
    later.waitForSelector(".gantt-lane[data-worker-name='leaving-tab'] .gantt-bar[data-outcome=lost][data-chunk='" + lostChunk + "']");
    later.waitForSelector(reassigned + "[data-chunk='" + lostChunk + "']");
    assertEquals(page.locator(".gantt-bar").count(), later.locator(".gantt-bar").count(), "every attempt, live or stored");
    // ... and plays it back.
    later.click("#gantt-play");
    later.waitForSelector("#gantt-play[aria-pressed=true]");
    later.waitForSelector("#gantt-play[aria-pressed=false]");
    later.waitForSelector(reassigned);

    screenshots(page, "dashboard");
    page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.DARK));
    page.setViewportSize(1280, 800);
    screenshot(page, "dashboard-dark-1280x800");
    assertNoConsoleErrors();
  }

  @Test
  @DisplayName("the page reconnects its event bus after the server restarts, and goes on updating")
  void reconnectsAfterRestart() {
    Page page = dashboard(1280, 800);
    waitForText(page, "#h-workers", "0");
    int port = grid.port();
    java.nio.file.Path dir = grid.dir();
    grid.stopServer();
    page.waitForSelector("#bus-status[data-state=disconnected]");
    assertEquals("disconnected", page.getAttribute("#h-bus", "data-state"));
    grid = TestGrid.start(dir, Map.of("http.port", port));
    page.waitForSelector("#bus-status[data-state=connected]", new Page.WaitForSelectorOptions().setTimeout(30_000));
    grid.worker("after-restart");
    waitForText(page, "#h-workers", "1");
    page.waitForSelector("#workers-rows tr >> text=after-restart");
    // While the server was down Chromium logs the refused connections; nothing else may appear.
    List<String> problems = new ArrayList<>(browser.problems());
    problems.removeIf(p -> p.contains("net::ERR_CONNECTION_REFUSED") || p.contains("WebSocket connection to"));
    browser.problems().stream().filter(p -> !problems.contains(p)).forEach(p -> System.out.println("expected while the server was down: " + p));
    assertEquals(List.of(), problems);
  }
}

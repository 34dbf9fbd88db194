package brain.browser;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Browser;
import brain.testing.NodeProcess;
import brain.testing.Postgres;
import brain.testing.TestGrid;
import com.microsoft.playwright.Page;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real worker tab and dashboard against two cluster nodes as processes: the dashboard shows
 * one card per node; a tab served by a node that is then killed reconnects, from the page it
 * has, to the other node's bridge (cross-origin) and computes a job there.
 */
@Timeout(240)
class ClusterTabTest {
  private static final String BEARER = "Bearer " + TestGrid.ADMIN_TOKEN;
  private NodeProcess core;
  private NodeProcess edge;
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    for (NodeProcess node : new NodeProcess[] {core, edge}) {
      if (node != null) {
        node.close();
      }
    }
  }

  private JsonObject get(NodeProcess node, String path) throws Exception {
    return new JsonObject(http.send(HttpRequest.newBuilder(URI.create(node.url() + path)).header("authorization", BEARER)
        .build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  /** A core and an edge node of a cluster of their own, both listening. */
  private void twoNodes() throws Exception {
    Path dir = Files.createTempDirectory("brain-cluster-tab");
    String db = Postgres.freshDatabaseUrl();
    String cluster = "brain-test-" + UUID.randomUUID();
    core = new NodeProcess(dir, "core", db);
    edge = new NodeProcess(dir, "edge", db);
    core.cluster(cluster, edge);
    edge.cluster(cluster, core).args("--role", "EDGE");
    core.start(90);
    edge.start(90);
  }

  @Test
  @DisplayName("SIGTERM of the tab's node: the tab is told to move and registers at the other node before its node exits 0")
  void tabMovesOnSigterm() throws Exception {
    twoNodes();
    try (Browser browser = Browser.withoutWebGpu()) {
      Page tab = WorkerTabTest.openWorker(browser, edge.url(), "engine=cpu&name=mover");
      String workerId = tab.textContent("#worker-id").trim();
      String session = tab.textContent("#session-id").trim();
      int exit = edge.sigterm(30);
      assertEquals(0, exit, edge.output());
      String drained = edge.awaitLine(l -> l.contains("drained in"), 1);
      assertFalse(drained.contains("had not moved"), "the tab left before the node stopped: " + drained);
      tab.waitForFunction("old => document.querySelector('#session-id').textContent.trim() !== old"
          + " && document.querySelector('#connection').dataset.state === 'connected'", session,
          new Page.WaitForFunctionOptions().setTimeout(30_000));
      assertEquals(workerId, tab.textContent("#worker-id").trim(), "the same identity");
      assertTrue(tab.textContent("#log").contains("moving to " + core.url()), tab.textContent("#log"));
      JsonObject workers = get(core, "/api/workers");
      assertTrue(workers.encode().contains("mover"), workers.encodePrettily());
      assertEquals(List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("the dashboard shows both nodes; a tab of a node killed with SIGKILL moves to the other node's bridge and computes")
  void tabFollowsToTheOtherNode() throws Exception {
    twoNodes();
    try (Browser browser = Browser.withoutWebGpu()) {
      Page dashboard = browser.open(core.url() + "/");
      dashboard.waitForFunction("() => document.querySelectorAll('#nodes-list .node').length === 2",
          null, new Page.WaitForFunctionOptions().setTimeout(30_000));
      assertEquals(1, dashboard.locator("#nodes-list .node[data-scheduler=true]").count(), "one scheduler badge");
      assertTrue(dashboard.textContent("#nodes-list").contains(edge.url()), dashboard.textContent("#nodes-list"));

      Page tab = WorkerTabTest.openWorker(browser, edge.url(), "engine=cpu&name=wanderer");
      String workerId = tab.textContent("#worker-id").trim();
      dashboard.waitForFunction("url => [...document.querySelectorAll('#nodes-list .node')].some(n =>"
          + " n.querySelector('.node-url').textContent === url && n.querySelector('.node-workers').textContent.startsWith('1 '))",
          edge.url(), new Page.WaitForFunctionOptions().setTimeout(30_000));
      Browser.screenshot(dashboard, "dashboard-nodes");

      String session = tab.textContent("#session-id").trim();
      edge.kill9();
      // The page stays the edge's; its socket is now on the core's bridge, a new session of the same worker.
      tab.waitForFunction("old => document.querySelector('#session-id').textContent.trim() !== old"
          + " && document.querySelector('#connection').dataset.state === 'connected'"
          + " && document.body.dataset.ready === 'true'", session, new Page.WaitForFunctionOptions().setTimeout(60_000));
      assertEquals(workerId, tab.textContent("#worker-id").trim(), "the same identity");

      String id = new JsonObject(http.send(HttpRequest.newBuilder(URI.create(core.url() + "/api/jobs"))
          .header("content-type", "application/json").header("authorization", BEARER)
          .POST(HttpRequest.BodyPublishers.ofString("{\"rowsA\":60,\"colsA\":50,\"colsB\":40,\"chunkRows\":10}")).build(),
          HttpResponse.BodyHandlers.ofString()).body()).getString("id");
      tab.waitForFunction("() => Number(document.querySelector('#chunks-done').textContent) >= 6",
          null, new Page.WaitForFunctionOptions().setTimeout(60_000));
      JsonObject view = get(core, "/api/jobs/" + id);
      for (int i = 0; i < 100 && !"completed".equals(view.getString("status")); i++) {
        Thread.sleep(100); // the view follows the last result by a moment
        view = get(core, "/api/jobs/" + id);
      }
      assertEquals("completed", view.getString("status"), view.encodePrettily());
      Browser.screenshot(tab, "worker-tab-moved-node");
      // A tab that fails to reach the dead node on its way may log a failed connection; nothing else.
      List<String> problems = browser.problems().stream()
          .filter(p -> !p.contains("ERR_CONNECTION_REFUSED")).toList();
      assertEquals(List.of(), problems);
    }
  }
}

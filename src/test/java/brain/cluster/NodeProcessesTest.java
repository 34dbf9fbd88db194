package brain.cluster;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.NodeProcess;
import brain.testing.Postgres;
import brain.testing.Reference;
import brain.testing.TestEngines;
import brain.testing.TestGrid;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cluster operations with nodes as real processes on loopback ({@link NodeProcess}): the core
 * node (scheduler and database) and an edge node, each its own JVM. What an operator sees
 * (health listing the nodes, {@code X-Brain-Node}), a node killed with SIGKILL (the other logs
 * it, lists one node, logs no stack trace, and the dead node's worker carries on at the other
 * node), and SIGTERM (the node's workers move before it exits 0, within the drain bound).
 */
@Timeout(180)
class NodeProcessesTest {
  private static final String BEARER = "Bearer " + TestGrid.ADMIN_TOKEN;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private Vertx vertx;

  @AfterEach
  void cleanUp() {
    nodes.forEach(NodeProcess::close);
    if (vertx != null) {
      TestGrid.await(vertx.close());
    }
  }

  /** A core and an edge node of a cluster of their own, both listening. */
  private NodeProcess[] twoNodes(JsonObject clusterSettings) throws Exception {
    return twoNodes(clusterSettings, false, node -> { });
  }

  /** {@code edgeFirst}: the edge starts alone, and {@code between} runs before the core starts. */
  private NodeProcess[] twoNodes(JsonObject clusterSettings, boolean edgeFirst, ThrowingConsumer<NodeProcess> between)
      throws Exception {
    Path dir = Files.createTempDirectory("brain-nodes");
    String db = Postgres.freshDatabaseUrl(); // a cluster's nodes share one PostgreSQL database
    String cluster = "brain-test-" + UUID.randomUUID();
    NodeProcess core = new NodeProcess(dir, "core", db);
    NodeProcess edge = new NodeProcess(dir, "edge", db);
    core.cluster(cluster, edge).config("cluster", clusterSettings);
    edge.cluster(cluster, core).config("cluster", clusterSettings).args("--role", "EDGE");
    nodes.add(core);
    nodes.add(edge);
    long began = System.nanoTime();
    NodeProcess first = edgeFirst ? edge : core;
    NodeProcess second = edgeFirst ? core : edge;
    first.start(90);
    long firstMs = (System.nanoTime() - began) / 1_000_000;
    between.accept(first);
    long secondAt = System.nanoTime();
    second.start(90);
    System.out.printf("node processes: %s listening after %d ms, %s %d ms after its start%n", edgeFirst ? "edge" : "core",
        firstMs, edgeFirst ? "core" : "edge", (System.nanoTime() - secondAt) / 1_000_000);
    return new NodeProcess[] {core, edge};
  }

  interface ThrowingConsumer<T> {
    void accept(T value) throws Exception;
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).header("authorization", BEARER).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonArray nodesIn(NodeProcess node) throws Exception {
    HttpResponse<String> health = get(node.url() + "/api/health");
    assertEquals(200, health.statusCode(), health.body());
    return new JsonObject(health.body()).getJsonArray("nodes");
  }

  /** Waits for a state reached through periodic refreshes (the node directory's, once a second). */
  private static void until(String what, int seconds, BooleanSupplier reached) throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (!reached.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("not within " + seconds + " s: " + what);
      }
      Thread.sleep(50);
    }
  }

  private BooleanSupplier listsNodes(NodeProcess node, int count) {
    return () -> {
      try {
        return nodesIn(node).size() == count;
      } catch (Exception e) {
        return false;
      }
    };
  }

  private HeadlessWorker worker(NodeProcess node, String name, long msPerChunk) {
    if (vertx == null) {
      vertx = Vertx.vertx();
    }
    WebSocketClient sockets = vertx.createWebSocketClient();
    return TestGrid.await(HeadlessWorker.deploy(vertx, sockets, HeadlessWorker.Options.of("127.0.0.1", node.port(), name,
        msPerChunk > 0 ? TestEngines.slowCpu(msPerChunk) : Engines.cpu(1)).withSlots(1).withReconnect(true)));
  }

  private String submit(NodeProcess node, int rows, int chunkRows) throws Exception {
    HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(URI.create(node.url() + "/api/jobs"))
        .header("content-type", "application/json").header("authorization", BEARER)
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("rowsA", rows).put("colsA", 60).put("colsB", 40)
            .put("chunkRows", chunkRows).encode())).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, accepted.statusCode(), accepted.body());
    return new JsonObject(accepted.body()).getString("id");
  }

  private JsonObject awaitCompleted(NodeProcess node, String id) throws Exception {
    JsonObject[] view = new JsonObject[1];
    until("job " + id + " completed", 90, () -> {
      try {
        view[0] = new JsonObject(get(node.url() + "/api/jobs/" + id).body());
        return List.of("completed", "failed", "cancelled").contains(view[0].getString("status"));
      } catch (Exception e) {
        return false;
      }
    });
    return view[0];
  }

  @Test
  @DisplayName("an edge alone answers health 200, waiting for a scheduler; then health on either node lists both nodes "
      + "(id, URL, sockets, workers, scheduler); every API answer names its node")
  void healthListsTheNodes() throws Exception {
    NodeProcess[] pair = twoNodes(new JsonObject(), true, alone -> {
      HttpResponse<String> waiting = get(alone.url() + "/api/health");
      assertEquals(200, waiting.statusCode(), waiting.body());
      JsonObject health = new JsonObject(waiting.body());
      assertEquals("waiting", health.getString("status"), health.encodePrettily());
      assertEquals("waiting", health.getString("schedulerNode"));
      assertEquals(1, health.getJsonArray("nodes").size(), "itself");
      assertEquals(alone.url(), health.getJsonArray("nodes").getJsonObject(0).getString("url"));
    });
    NodeProcess core = pair[0];
    NodeProcess edge = pair[1];
    HeadlessWorker worker = worker(edge, "on-the-edge", 0);
    until("both nodes listed, the edge with its worker", 20, () -> {
      try {
        JsonArray listed = nodesIn(core);
        return listed.size() == 2 && listed.stream().map(JsonObject.class::cast)
            .anyMatch(n -> n.getString("url").equals(edge.url()) && n.getInteger("workers") == 1);
      } catch (Exception e) {
        return false;
      }
    });
    HttpResponse<String> fromCore = get(core.url() + "/api/health");
    HttpResponse<String> fromEdge = get(edge.url() + "/api/health");
    String coreId = fromCore.headers().firstValue("x-brain-node").orElseThrow();
    String edgeId = fromEdge.headers().firstValue("x-brain-node").orElseThrow();
    assertNotEquals(coreId, edgeId, "each node names itself");
    assertEquals(edgeId, get(edge.url() + "/api/jobs").headers().firstValue("x-brain-node").orElse(null));
    for (HttpResponse<String> answer : List.of(fromCore, fromEdge)) {
      JsonObject health = new JsonObject(answer.body());
      JsonArray listed = health.getJsonArray("nodes");
      assertEquals(2, listed.size(), health.encodePrettily());
      JsonObject c = listed.stream().map(JsonObject.class::cast).filter(n -> n.getString("id").equals(coreId)).findFirst().orElseThrow();
      JsonObject e = listed.stream().map(JsonObject.class::cast).filter(n -> n.getString("id").equals(edgeId)).findFirst().orElseThrow();
      assertEquals(core.url(), c.getString("url"));
      assertEquals(edge.url(), e.getString("url"));
      assertTrue(c.getBoolean("scheduler"), "the core node schedules");
      assertFalse(e.getBoolean("scheduler"));
      assertEquals(1, e.getInteger("sockets"), "the worker's socket is on the edge");
      assertEquals(0, c.getInteger("workers"));
      assertNotNull(c.getString("upSince"));
      assertEquals(coreId, health.getString("schedulerNode"));
      assertEquals(1, health.getJsonObject("bridge").getInteger("openSockets"), "sockets summed over the nodes");
    }
    assertTrue(worker.isConnected());

    String id = submit(edge, 40, 10);
    assertEquals("completed", awaitCompleted(edge, id).getString("status"));
    assertEquals(edgeId, new JsonObject(get(core.url() + "/api/jobs/" + id).body()).getString("acceptedBy"),
        "the job says which node accepted it, whichever node is asked");
  }

  @Test
  @DisplayName("kill -9 of a node: the other logs the member leaving, lists one node, logs no stack trace; the dead node's worker computes on at the other")
  void killNine() throws Exception {
    NodeProcess[] pair = twoNodes(new JsonObject());
    NodeProcess core = pair[0];
    NodeProcess edge = pair[1];
    HeadlessWorker worker = worker(edge, "follower", 0);
    until("the worker's registration named both nodes", 10, () -> worker.isConnected());
    until("the directory lists both", 20, listsNodes(core, 2));
    assertEquals(edge.url(), worker.node());

    long killedAt = System.nanoTime();
    edge.kill9();
    core.awaitLine(l -> l.contains("cluster member left"), 60);
    long leftMs = (System.nanoTime() - killedAt) / 1_000_000;
    // The scheduler (the core, elected first) drops the dead node's sessions when it leaves, not a
    // heartbeat timeout later: no chunk is sent to a socket that is gone.
    core.awaitLine(l -> l.contains("worker follower") && l.contains("left the cluster"), 5);
    until("the worker reconnected to the core", 30, () -> worker.isConnected() && worker.node().equals(core.url()));
    long movedMs = (System.nanoTime() - killedAt) / 1_000_000;
    long askedAt = System.nanoTime();
    until("the core lists one node", 10, listsNodes(core, 1));
    long listedMs = (System.nanoTime() - askedAt) / 1_000_000;
    assertTrue(worker.sessions() >= 2, "a new session at the core");

    String id = submit(core, 80, 10);
    JsonObject view = awaitCompleted(core, id);
    assertEquals("completed", view.getString("status"), view.encodePrettily());
    Reference.assertJobProduct(path -> bytes(core.url() + path), id, 80, 60, 40);
    assertTrue(worker.chunksDone() >= 8, "the moved worker computed the job");
    assertEquals(List.of(), core.stackTraceLines(), "no stack trace for a peer that died:\n" + core.output());
    System.out.printf("kill -9: member left logged after %d ms, worker registered at the other node after %d ms, "
        + "health listing one node %d ms after that%n", leftMs, movedMs, listedMs);
  }

  @Test
  @DisplayName("SIGTERM of a node whose workers are mid-job: they move to the other node before it exits, exit code 0, "
      + "within the drain bound, and the job completes right")
  void sigtermDrains() throws Exception {
    int drainMs = 5000;
    NodeProcess[] pair = twoNodes(new JsonObject().put("drainMs", drainMs));
    NodeProcess core = pair[0];
    NodeProcess edge = pair[1];
    HeadlessWorker first = worker(edge, "mover-1", 20);
    HeadlessWorker second = worker(edge, "mover-2", 20);
    until("the directory lists both nodes", 20, listsNodes(core, 2));
    String id = submit(core, 300, 10);
    until("the edge's workers are mid-job", 30, () -> first.chunksDone() + second.chunksDone() >= 4);

    long began = System.nanoTime();
    int exit = edge.sigterm(drainMs / 1000 + 25);
    long exitedMs = (System.nanoTime() - began) / 1_000_000;
    assertEquals(0, exit, "a stop asked for is a clean exit:\n" + edge.output());
    String drained = edge.awaitLine(l -> l.contains("drained in"), 1);
    assertFalse(drained.contains("had not moved"), drained);
    for (HeadlessWorker w : List.of(first, second)) {
      until(w.name() + " registered at the core", 10, () -> w.isConnected() && w.node().equals(core.url()));
      assertEquals(2, w.sessions(), "moved once, to the core, with the same identity");
    }
    until("the core lists one node", 10, listsNodes(core, 1));
    JsonObject view = awaitCompleted(core, id);
    assertEquals("completed", view.getString("status"), view.encodePrettily());
    Reference.assertJobProduct(path -> bytes(core.url() + path), id, 300, 60, 40);
    assertEquals(List.of(), edge.stackTraceLines(), "a clean stop:\n" + edge.output());
    assertEquals(List.of(), core.stackTraceLines(), "a peer that stopped is no error:\n" + core.output());
    System.out.printf("SIGTERM: %s; process exited %d ms after the signal%n", drained.replaceAll(".* - ", ""), exitedMs);
  }

  private byte[] bytes(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).header("authorization", BEARER).build(),
          HttpResponse.BodyHandlers.ofByteArray()).body();
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}

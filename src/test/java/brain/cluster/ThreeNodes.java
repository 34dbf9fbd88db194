package brain.cluster;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.NodeProcess;
import brain.testing.Postgres;
import brain.testing.Reference;
import brain.testing.TestEngines;
import brain.testing.TestGrid;
import brain.worker.HeadlessWorker;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

/**
 * Three grid nodes as real processes ({@link NodeProcess}, role ALL: each may be elected to
 * schedule) on one fresh PostgreSQL database and one shared {@code storage.dir}, with a short
 * scheduler lease, and headless workers in this JVM on each node's real port. Everything is
 * observed from outside, as an operator or a judge would: HTTP on the nodes, JDBC on the database.
 * A node that was killed is replaced by a new process ({@link #ensureThree}), named "n2.1", "n2.2"...
 */
final class ThreeNodes implements AutoCloseable {
  static final String BEARER = "Bearer " + TestGrid.ADMIN_TOKEN;
  static final long LEASE_MS = 2000;
  static final long RENEW_MS = 400;
  static final int DRAIN_MS = 3000;
  private static final List<String> FINAL = List.of("completed", "failed", "cancelled");

  final String db = Postgres.freshDatabaseUrl();
  final Path dir;
  final String clusterName = "brain-test-" + UUID.randomUUID();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  final Vertx vertx = Vertx.vertx();
  /** The current process of each slot (null while none runs). */
  final NodeProcess[] nodes = new NodeProcess[3];
  private final int[] incarnation = new int[3];
  private final List<NodeProcess> all = new ArrayList<>();
  /** Worker id → the URL of the node it was started on. */
  final Map<String, HeadlessWorker> workers = new LinkedHashMap<>();
  /** Node id (X-Brain-Node) → the URL of the node process that had it. */
  final Map<String, String> nodeUrls = new LinkedHashMap<>();

  ThreeNodes() throws Exception {
    dir = Files.createTempDirectory("brain-three");
  }

  /** Starts a process in every empty slot (in parallel), then waits until each lists all three and one schedules. */
  void ensureThree() throws Exception {
    ExecutorService starts = Executors.newFixedThreadPool(3);
    try {
      List<Future<NodeProcess>> started = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        if (nodes[i] == null || !nodes[i].isAlive()) {
          NodeProcess node = newNode(i);
          started.add(starts.submit(() -> node.start(120)));
        }
      }
      for (Future<NodeProcess> f : started) {
        f.get();
      }
    } finally {
      starts.shutdownNow();
    }
    for (NodeProcess node : nodes) {
      nodeUrls.put(nodeId(node), node.url());
    }
    until("every node lists three nodes and a scheduler holds the lease", 60, () -> {
      for (NodeProcess node : nodes) {
        JsonObject h = health(node);
        if (h == null || h.getJsonArray("nodes").size() != 3 || h.getJsonObject("scheduler") == null
            || !nodeUrls.containsKey(h.getJsonObject("scheduler").getString("holder"))) {
          return false;
        }
      }
      return true;
    });
  }

  private NodeProcess newNode(int slot) throws Exception {
    String name = "n" + (slot + 1) + (incarnation[slot] == 0 ? "" : "." + incarnation[slot]);
    incarnation[slot]++;
    NodeProcess node = new NodeProcess(dir, name, db);
    List<NodeProcess> peers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      if (i != slot && nodes[i] != null) {
        peers.add(nodes[i]);
      }
    }
    node.cluster(clusterName, peers.toArray(NodeProcess[]::new)).config("cluster", new JsonObject()
        .put("schedulerLeaseMs", LEASE_MS).put("schedulerRenewMs", RENEW_MS).put("drainMs", DRAIN_MS));
    nodes[slot] = node;
    all.add(node);
    return node;
  }

  /** Replaces the process in {@code slot} by nothing (after a kill); {@link #ensureThree} starts another. */
  void gone(int slot) {
    nodes[slot] = null;
  }

  /** The slot of the node that holds the scheduler's lease, as health on {@code asked} says. */
  int schedulerSlot(NodeProcess asked) {
    JsonObject lease = health(asked).getJsonObject("scheduler");
    String url = nodeUrls.get(lease.getString("holder"));
    for (int i = 0; i < 3; i++) {
      if (nodes[i] != null && nodes[i].url().equals(url)) {
        return i;
      }
    }
    throw new AssertionError("no live node holds the lease: " + lease.encode());
  }

  long fence(NodeProcess asked) {
    return health(asked).getJsonObject("scheduler").getLong("fence");
  }

  /** Two workers on the node in {@code slot}, each computing honestly and slowly (msPerChunk), following the node list. */
  List<HeadlessWorker> workersOn(int slot, long msPerChunk) {
    List<HeadlessWorker> started = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      String name = "w" + (slot + 1) + "-" + (workers.size() + 1);
      HeadlessWorker worker = TestGrid.await(HeadlessWorker.deploy(vertx, vertx.createWebSocketClient(),
          HeadlessWorker.Options.of("127.0.0.1", nodes[slot].port(), name, TestEngines.slowCpu(msPerChunk))
              .withSlots(1).withReconnect(true)));
      workers.put(worker.workerId(), worker);
      started.add(worker);
    }
    return started;
  }

  /** The node's X-Brain-Node. */
  String nodeId(NodeProcess node) {
    return get(node, "/api/health").headers().firstValue("x-brain-node").orElseThrow();
  }

  HttpResponse<String> get(NodeProcess node, String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(node.url() + path)).header("authorization", BEARER)
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(node.url() + path + ": " + e, e);
    }
  }

  JsonObject health(NodeProcess node) {
    try {
      HttpResponse<String> h = get(node, "/api/health");
      return h.statusCode() == 200 ? new JsonObject(h.body()) : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  byte[] bytes(NodeProcess node, String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(node.url() + path)).header("authorization", BEARER)
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray()).body();
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** POST /api/jobs once, with {@code key} as its Idempotency-Key; the response, or null when the node did not answer. */
  HttpResponse<String> trySubmit(NodeProcess node, Shape shape, String key) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(node.url() + "/api/jobs"))
          .header("content-type", "application/json").header("authorization", BEARER).header("idempotency-key", key)
          .timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.ofString(shape.json().encode())).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException | InterruptedException e) {
      return null;
    }
  }

  /** A job submitted at {@code node}; its id. */
  String submit(NodeProcess node, Shape shape) {
    HttpResponse<String> accepted = trySubmit(node, shape, UUID.randomUUID().toString());
    assertNotNull(accepted, node.url() + " answered the submission");
    assertEquals(202, accepted.statusCode(), accepted.body());
    return new JsonObject(accepted.body()).getString("id");
  }

  /** The job's view from the first live node that answers. */
  JsonObject view(String id) {
    for (NodeProcess node : nodes) {
      if (node != null && node.isAlive()) {
        try {
          HttpResponse<String> v = get(node, "/api/jobs/" + id);
          if (v.statusCode() == 200) {
            return new JsonObject(v.body());
          }
        } catch (RuntimeException e) {
          // that node is paused or going: ask the next
        }
      }
    }
    return null;
  }

  /** Polls the job's view (the job runs in another process) until it is final; that view. */
  JsonObject awaitFinal(String id, int seconds) throws InterruptedException {
    JsonObject[] last = new JsonObject[1];
    until("job " + id + " final", seconds, () -> {
      last[0] = view(id);
      return last[0] != null && FINAL.contains(last[0].getString("status"));
    });
    return last[0];
  }

  /** Polls the live view until at least {@code chunks} are accepted; that view (still running, else a failure). */
  JsonObject awaitChunksDone(String id, int chunks) throws InterruptedException {
    JsonObject[] last = new JsonObject[1];
    until("job " + id + " has " + chunks + " chunks accepted", 60, () -> {
      last[0] = view(id);
      return last[0] != null && last[0].getInteger("chunksDone", 0) >= chunks;
    });
    assertEquals("running", last[0].getString("status"), "the job is still mid-way: " + last[0].encode());
    return last[0];
  }

  /** The job's stored timeline events (the last scheduler term's). */
  List<JsonObject> timeline(NodeProcess node, String id) {
    String body = get(node, "/api/jobs/" + id + "/timeline").body().strip();
    JsonArray events = body.startsWith("[") ? new JsonArray(body) : new JsonObject(body).getJsonArray("events");
    return events.stream().map(JsonObject.class::cast).toList();
  }

  void assertProduct(NodeProcess node, String id, Shape shape) {
    Reference.assertJobProduct(path -> bytes(node, path), id, shape.rows(), shape.k(), shape.n());
  }

  /**
   * What the database says, read with JDBC: every job accepted so far ({@code jobs}) has exactly one
   * row, completed; no other job exists; chunk_credits has one row per (job, chunk) of each, their
   * multiply-adds summing to m·k·n; the leaderboard's totals are the sums of chunk_credits.
   */
  void assertLedger(Map<String, Shape> jobs) throws Exception {
    try (Connection c = DriverManager.getConnection(db)) {
      try (ResultSet all = c.createStatement().executeQuery("SELECT COUNT(*) FROM jobs")) {
        all.next();
        assertEquals(jobs.size(), all.getInt(1), "no job lost, none made twice");
      }
      for (Map.Entry<String, Shape> job : jobs.entrySet()) {
        Shape s = job.getValue();
        try (var q = c.prepareStatement("SELECT status, completed_at FROM jobs WHERE id = ?")) {
          q.setString(1, job.getKey());
          ResultSet row = q.executeQuery();
          assertTrue(row.next(), "job " + job.getKey() + " is stored");
          assertEquals("completed", row.getString(1), "job " + job.getKey());
          assertNotNull(row.getString(2));
          assertFalse(row.next(), "one row per job");
        }
        try (var q = c.prepareStatement("SELECT COUNT(*), COUNT(DISTINCT chunk_index), SUM(multiply_adds) "
            + "FROM chunk_credits WHERE job_id = ?")) {
          q.setString(1, job.getKey());
          ResultSet row = q.executeQuery();
          row.next();
          assertEquals(s.chunks(), row.getInt(1), "one credit per chunk of job " + job.getKey());
          assertEquals(s.chunks(), row.getInt(2));
          assertEquals((long) s.rows() * s.k() * s.n(), row.getLong(3), "credited multiply-adds are the job's");
        }
      }
      try (ResultSet credits = c.createStatement().executeQuery("SELECT COUNT(*), COALESCE(SUM(multiply_adds), 0) "
              + "FROM chunk_credits");
           ResultSet board = c.createStatement().executeQuery("SELECT COALESCE(SUM(tasks_completed), 0), "
              + "COALESCE(SUM(verified_multiply_adds), 0) FROM leaderboard")) {
        credits.next();
        board.next();
        assertEquals(credits.getLong(1), board.getLong(1), "the leaderboard counts each credited chunk once");
        assertEquals(credits.getLong(2), board.getLong(2), "and its verified work is the credited work");
      }
    }
  }

  /** Worker ids credited for {@code id}'s chunks. */
  List<String> creditedWorkers(String id) throws Exception {
    try (Connection c = DriverManager.getConnection(db);
         var q = c.prepareStatement("SELECT DISTINCT worker_id FROM chunk_credits WHERE job_id = ?")) {
      q.setString(1, id);
      ResultSet rows = q.executeQuery();
      List<String> out = new ArrayList<>();
      while (rows.next()) {
        out.add(rows.getString(1));
      }
      return out;
    }
  }

  /** Waits for a state of other processes, polling (there is nothing to listen to across them). */
  static void until(String what, int seconds, BooleanSupplier reached) throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (!reached.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("not within " + seconds + " s: " + what);
      }
      Thread.sleep(50);
    }
  }

  @Override
  public void close() {
    for (NodeProcess node : all) {
      try {
        if (node.isAlive()) {
          node.sigcont();
        }
      } catch (Exception e) {
        // gone meanwhile
      }
      node.close();
    }
    TestGrid.await(vertx.close());
  }

  /** A job's dimensions: rows × k times k × n, in chunks of chunkRows rows. */
  record Shape(int rows, int k, int n, int chunkRows) {
    JsonObject json() {
      return new JsonObject().put("rowsA", rows).put("colsA", k).put("colsB", n).put("chunkRows", chunkRows);
    }

    int chunks() {
      return (rows + chunkRows - 1) / chunkRows;
    }
  }
}

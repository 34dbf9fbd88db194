package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.bus.Addresses;
import brain.testing.Reference;
import brain.testing.TestEngines;
import brain.testing.TestGrid;
import brain.worker.BridgeClient;
import brain.worker.HeadlessWorker;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server as a separate process, killed with SIGKILL in the middle of a job and started
 * again on the same SQLite file: the accepted job resumes from its checkpoint (chunks accepted
 * before the kill are not computed again) and completes, with the right product, each chunk
 * credited once.
 */
@Timeout(180)
class RestartTest {
  private static final String BEARER = "Bearer " + TestGrid.ADMIN_TOKEN;
  private final List<Process> processes = new ArrayList<>();
  private Vertx vertx;

  @AfterEach
  void cleanUp() {
    processes.forEach(Process::destroyForcibly);
    if (vertx != null) {
      TestGrid.await(vertx.close());
    }
  }

  private Process startServer(Path dir, int port) throws Exception {
    return startServer(dir, port, new JsonObject(), processes);
  }

  /**
   * Starts {@code java brain.Main serve} on the test classpath, on the database and storage of
   * {@code dir}, with {@code extra} settings merged in; returns once it listens.
   */
  static Process startServer(Path dir, int port, JsonObject extra, List<Process> processes) throws Exception {
    Path config = dir.resolve("brain-test-" + port + ".json");
    Files.writeString(config, new JsonObject()
        .put("db", new JsonObject().put("url", "jdbc:sqlite:" + dir.resolve("brain.db")))
        .put("http", new JsonObject().put("host", "127.0.0.1"))
        .put("storage", new JsonObject().put("dir", dir.resolve("matrices").toString()))
        .put("auth", new JsonObject().put("adminToken", TestGrid.ADMIN_TOKEN)).mergeIn(extra, true).encode());
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "brain.Main", "serve", "--port", String.valueOf(port),
        "--config", config.toString());
    builder.redirectErrorStream(true);
    Process process = builder.start();
    processes.add(process);
    CompletableFuture<Void> listening = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          System.out.println("[server " + process.pid() + "] " + line);
          if (line.contains("listening on http://localhost:" + port)) {
            listening.complete(null);
          }
        }
      } catch (IOException e) {
        listening.completeExceptionally(e);
      }
      listening.completeExceptionally(new IllegalStateException("the server exited before listening"));
    }, "server-output");
    reader.setDaemon(true);
    reader.start();
    listening.get(60, TimeUnit.SECONDS);
    return process;
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  @DisplayName("kill -9 mid-job, restart on the same database: the job resumes from its checkpoint and completes with the right product")
  void jobSurvivesKillNine() throws Exception {
    Path dir = Files.createTempDirectory("brain-restart");
    int port = freePort();
    Process first = startServer(dir, port);
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + port;

    vertx = Vertx.vertx();
    WebSocketClient sockets = vertx.createWebSocketClient();
    // One worker, a little slow, that reconnects when its server goes away (as the tab does).
    CountDownLatch someDone = new CountDownLatch(10);
    AtomicInteger received = new AtomicInteger();
    HeadlessWorker worker = TestGrid.await(HeadlessWorker.deploy(vertx, sockets,
        HeadlessWorker.Options.of("127.0.0.1", port, "survivor", TestEngines.slowCpu(15)).withSlots(1).withReconnect(true)));
    worker.behaviour((w, chunk) -> {
      received.incrementAndGet();
      someDone.countDown();
      return false;
    });

    HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
        .header("content-type", "application/json").header("authorization", BEARER)
        .POST(HttpRequest.BodyPublishers.ofString("{\"rowsA\":300,\"colsA\":120,\"colsB\":90,\"chunkRows\":5}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, accepted.statusCode(), accepted.body());
    String id = new JsonObject(accepted.body()).getString("id");

    assertTrue(someDone.await(60, TimeUnit.SECONDS), "the job was under way");
    first.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
    assertTrue(first.waitFor(30, TimeUnit.SECONDS));
    assertEquals(137, first.exitValue(), "killed by SIGKILL");

    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("brain.db"));
         ResultSet row = db.createStatement().executeQuery("SELECT status FROM jobs WHERE id = '" + id + "'")) {
      assertTrue(row.next(), "the accepted job is in the database");
      assertEquals("running", row.getString(1), "it was cut off mid-job");
    }

    int receivedBeforeKill = received.get();
    // Chunks accepted before the kill: those whose record is in the checkpoint log (with one slot, at
    // most one received chunk was still being computed, or its result in flight, when the server died).
    Path log = dir.resolve("matrices").resolve("results").resolve(id + ".chunks");
    assertTrue(Files.exists(log), "the job's accepted chunks are checkpointed under storage.dir: " + log);
    startServer(dir, port);
    JsonObject view = awaitCompleted(http, base, id, port);
    assertEquals("completed", view.getString("status"), view.encodePrettily());
    assertTrue(worker.sessions() >= 2, "the worker rejoined the restarted server as a new session");
    int receivedAfter = received.get() - receivedBeforeKill;
    assertTrue(receivedAfter > 0, "and computed for it");

    Reference.assertJobProduct(path -> bytes(http, base + path), id, 300, 120, 90);
    // Every chunk credited exactly once, though some were computed both before the kill and after.
    int chunks = view.getInteger("chunksTotal");
    assertEquals(60, chunks);
    // Resumed, not restarted: the restarted server's timeline (the only one stored) takes the chunks
    // accepted before the kill from the checkpoint and sends out only the others.
    List<JsonObject> events = new JsonObject(new String(bytes(http, base + "/api/jobs/" + id + "/timeline"),
        StandardCharsets.UTF_8)).getJsonArray("events").stream().map(JsonObject.class::cast).toList();
    int resumed = brain.testing.Timelines.resumedChunks(events);
    assertTrue(resumed > 0, "chunks accepted before the kill were resumed: " + brain.testing.Timelines.describe(events));
    assertEquals(chunks - resumed, brain.testing.Timelines.ofType(events, "dispatch").size(),
        "only the chunks not accepted before the kill were sent out again");
    assertEquals(chunks - resumed, receivedAfter, "and the worker computed just those");
    assertFalse(Files.exists(log), "the checkpoint goes once the job is stored");
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("brain.db"));
         ResultSet credits = db.createStatement().executeQuery("SELECT COUNT(*), COUNT(DISTINCT chunk_index) "
             + "FROM chunk_credits WHERE job_id = '" + id + "'");
         ResultSet board = db.createStatement().executeQuery("SELECT SUM(tasks_completed) FROM leaderboard")) {
      assertTrue(credits.next());
      assertEquals(chunks, credits.getInt(1), "one credit row per chunk");
      assertEquals(chunks, credits.getInt(2));
      assertTrue(board.next());
      assertEquals(chunks, board.getInt(1), "the leaderboard counts each chunk once, not the ones computed before the kill again");
    }
    System.out.printf("restart: killed after %d chunks received; %d resumed from the checkpoint, %d of %d computed "
        + "after the restart; job completed%n", receivedBeforeKill, resumed, receivedAfter, chunks);
  }

  /**
   * Waits for the job's final status on the restarted server, event-driven: listens to its
   * live job feed through the bridge (as a signed-in dashboard does), then reads the view once, so a
   * completion before the listener was ready is not missed.
   */
  private JsonObject awaitCompleted(HttpClient http, String base, String id, int port) throws Exception {
    return awaitFinished(vertx, http, base, id, port);
  }

  static JsonObject awaitFinished(Vertx vertx, HttpClient http, String base, String id, int port) throws Exception {
    CompletableFuture<JsonObject> finished = new CompletableFuture<>();
    BridgeClient feed = TestGrid.await(BridgeClient.connect(vertx, vertx.createWebSocketClient(), "127.0.0.1", port, false,
        TestGrid.ADMIN_TOKEN));
    feed.register(Addresses.UI_JOBS, view -> {
      if (id.equals(view.getString("id")) && List.of("completed", "failed", "cancelled").contains(view.getString("status"))) {
        finished.complete(view);
      }
    });
    TestGrid.await(feed.request(Addresses.WORKER_HEARTBEAT, new JsonObject().put("sessionId", "none")).otherwiseEmpty());
    JsonObject now = new JsonObject(http.send(HttpRequest.newBuilder(URI.create(base + "/api/jobs/" + id))
        .header("authorization", BEARER).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    if (List.of("completed", "failed", "cancelled").contains(now.getString("status"))) {
      finished.complete(now);
    }
    return finished.get(90, TimeUnit.SECONDS);
  }

  static byte[] bytes(HttpClient http, String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).header("authorization", BEARER).build(),
          HttpResponse.BodyHandlers.ofByteArray()).body();
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

}

package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Reference;
import brain.testing.TestEngines;
import brain.testing.TestGrid;
import brain.worker.HeadlessWorker;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two server processes on one database and one storage folder, each with a worker. The
 * scheduler's process is paused (SIGSTOP) past its lease: the other is elected, resumes the job
 * from the checkpoint and completes it. Woken (SIGCONT), the old scheduler finds its lease gone
 * and steps down: it completes, fails and credits nothing, and the database stays as the new
 * scheduler left it.
 */
@Timeout(180)
class PausedSchedulerTest {
  private static final String BEARER = "Bearer " + TestGrid.ADMIN_TOKEN;
  private static final JsonObject SHORT_LEASE = new JsonObject().put("cluster", new JsonObject()
      .put("schedulerLeaseMs", 1500).put("schedulerRenewMs", 250));
  private final List<Process> processes = new ArrayList<>();
  private Vertx vertx;

  @AfterEach
  void cleanUp() {
    processes.forEach(p -> signal(p, "CONT"));
    processes.forEach(Process::destroyForcibly);
    if (vertx != null) {
      TestGrid.await(vertx.close());
    }
  }

  private static void signal(Process process, String name) {
    try {
      assertEquals(0, new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start().waitFor());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  @DisplayName("SIGSTOP the scheduler past its lease: the other process takes over and completes; SIGCONT: the old one changes nothing")
  void pausedSchedulerIsFencedOff() throws Exception {
    Path dir = Files.createTempDirectory("brain-paused");
    int portA = RestartTest.freePort();
    int portB = RestartTest.freePort();
    Process a = RestartTest.startServer(dir, portA, SHORT_LEASE, processes);
    Process b = RestartTest.startServer(dir, portB, SHORT_LEASE, processes); // waits a lease: A holds it
    HttpClient http = HttpClient.newHttpClient();
    vertx = Vertx.vertx();
    WebSocketClient sockets = vertx.createWebSocketClient();
    CountDownLatch someDone = new CountDownLatch(10);
    HeadlessWorker onA = TestGrid.await(HeadlessWorker.deploy(vertx, sockets,
        HeadlessWorker.Options.of("127.0.0.1", portA, "on-a", TestEngines.slowCpu(15)).withSlots(1)));
    onA.behaviour((w, chunk) -> {
      someDone.countDown();
      return false;
    });
    // B's worker keeps trying to join until B is the scheduler.
    HeadlessWorker.deploy(vertx, sockets, HeadlessWorker.Options.of("127.0.0.1", portB, "on-b", TestEngines.slowCpu(5))
        .withSlots(2).withReconnect(true));

    HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + portA + "/api/jobs"))
        .header("content-type", "application/json").header("authorization", BEARER)
        .POST(HttpRequest.BodyPublishers.ofString("{\"rowsA\":300,\"colsA\":120,\"colsB\":90,\"chunkRows\":5}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, accepted.statusCode(), accepted.body());
    String id = new JsonObject(accepted.body()).getString("id");
    assertTrue(someDone.await(60, TimeUnit.SECONDS), "A's worker computed for A");

    signal(a, "STOP");
    String baseB = "http://127.0.0.1:" + portB;
    JsonObject done = RestartTest.awaitFinished(vertx, http, baseB, id, portB);
    assertEquals("completed", done.getString("status"), done.encodePrettily());
    Reference.assertJobProduct(path -> RestartTest.bytes(http, baseB + path), id, 300, 120, 90);
    String before = databaseState(dir, id);

    signal(a, "CONT");
    // Woken, A sees at once (its monotonic clock jumped past the lease) that it may not act: its
    // scheduler's addresses go, and its API says so. Polled: the change is inside another process.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (status(http, "http://127.0.0.1:" + portA + "/api/workers") != 503) {
      assertTrue(System.nanoTime() < deadline, "A stepped down after waking");
      Thread.sleep(50);
    }
    // A's renewals meanwhile find B's lease: A never schedules again while B renews.
    JsonObject health = new JsonObject(new String(RestartTest.bytes(http, "http://127.0.0.1:" + portA + "/api/health")));
    assertTrue(health.getJsonObject("scheduler").getLong("fence") >= 2, health.encodePrettily());
    assertEquals(before, databaseState(dir, id), "nothing A did after waking reached the database");
    assertEquals("completed", new JsonObject(new String(RestartTest.bytes(http, "http://127.0.0.1:" + portA
        + "/api/jobs/" + id))).getString("status"), "A answers the stored, completed job");
    System.out.printf("paused scheduler: B completed the job at fence %d; A woke and stepped down; database unchanged%n",
        health.getJsonObject("scheduler").getLong("fence"));
  }

  /** The job's row and its credits, as text: any write would show. */
  private static String databaseState(Path dir, String id) throws Exception {
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("brain.db"));
         ResultSet job = db.createStatement().executeQuery("SELECT status, completed_at, chunks_done, error, "
             + "length(timeline) FROM jobs WHERE id = '" + id + "'");
         ResultSet credits = db.createStatement().executeQuery("SELECT COUNT(*), COUNT(DISTINCT chunk_index), "
             + "SUM(multiply_adds) FROM chunk_credits WHERE job_id = '" + id + "'");
         ResultSet board = db.createStatement().executeQuery("SELECT SUM(tasks_completed), SUM(verified_multiply_adds) "
             + "FROM leaderboard")) {
      assertTrue(job.next() && credits.next() && board.next());
      assertEquals(60, credits.getInt(1), "one credit per chunk");
      assertEquals(60, credits.getInt(2));
      assertEquals(300L * 120 * 90, credits.getLong(3));
      assertEquals(60, board.getInt(1), "the leaderboard counts each chunk once");
      return String.join("|", job.getString(1), job.getString(2), job.getString(3), String.valueOf(job.getString(4)),
          job.getString(5), credits.getString(1), board.getString(1), board.getString(2));
    }
  }

  private static int status(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).header("authorization", BEARER).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}

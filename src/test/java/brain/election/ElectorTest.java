package brain.election;

import static brain.bus.Addresses.*;
import static org.junit.jupiter.api.Assertions.*;

import brain.bus.Codecs;
import brain.config.BrainConfig;
import brain.persistence.PersistenceVerticle;
import brain.testing.Postgres;
import brain.testing.TestGrid;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two candidates, each a Vert.x instance with its own persistence verticle on one real database
 * (a SQLite file, and a fresh database of a real PostgreSQL; two processes' worth of
 * connections): one scheduler at a time, a paused holder fenced off, a stopping holder's lease
 * released at once.
 */
@Timeout(60)
class ElectorTest {
  private static final long LEASE_MS = 1500;
  private static final long RENEW_MS = 250;

  private Vertx nodeA;
  private Vertx nodeB;
  /** The database, as a person inspecting it would open it. */
  private String jdbcUrl;

  /** One candidate's view of events: when it was elected (and with which fence), when deposed. */
  private static final class Events implements Elector.Listener {
    final CompletableFuture<Long> elected = new CompletableFuture<>();
    final CompletableFuture<String> deposed = new CompletableFuture<>();
    volatile long electedAt;
    volatile long deposedAt;

    @Override
    public void elected(long fence) {
      electedAt = System.nanoTime();
      elected.complete(fence);
    }

    @Override
    public void deposed(long fence, String why) {
      deposedAt = System.nanoTime();
      deposed.complete(why);
    }
  }

  private void start(String database) throws Exception {
    Path dir = Files.createTempDirectory("brain-election");
    jdbcUrl = database.equals("sqlite") ? "jdbc:sqlite:" + dir.resolve("brain.db") : Postgres.freshDatabaseUrl();
    JsonObject config = new BrainConfig(BrainConfig.defaults()).with("db.url", jdbcUrl)
        .with("storage.dir", dir.resolve("matrices").toString()).json();
    nodeA = node(config);
    nodeB = node(config);
  }

  private static Vertx node(JsonObject config) {
    Vertx vertx = Vertx.vertx();
    Codecs.register(vertx);
    TestGrid.await(vertx.deployVerticle(new PersistenceVerticle(), new DeploymentOptions().setConfig(config)));
    return vertx;
  }

  @AfterEach
  void stop() {
    if (nodeA != null) {
      TestGrid.await(Future.join(nodeA.close(), nodeB.close()));
    }
  }

  /** Creates an elector on {@code vertx}'s own context and starts it there. */
  private static Elector candidate(Vertx vertx, String name, Events events) {
    CompletableFuture<Elector> made = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      Elector elector = new Elector(vertx, name, LEASE_MS, RENEW_MS, events);
      elector.start();
      made.complete(elector);
    });
    return made.join();
  }

  private static <T> T onContext(Vertx vertx, java.util.function.Supplier<T> action) {
    CompletableFuture<T> result = new CompletableFuture<>();
    vertx.runOnContext(v -> result.complete(action.get()));
    return result.join();
  }

  private long scalar(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl); ResultSet rows = c.createStatement().executeQuery(sql)) {
      assertTrue(rows.next());
      return rows.getLong(1);
    }
  }

  private String text(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl); ResultSet rows = c.createStatement().executeQuery(sql)) {
      assertTrue(rows.next());
      return rows.getString(1);
    }
  }

  private static JsonObject job(String id) {
    JsonObject spec = new JsonObject().put("rowsA", 2).put("colsA", 3).put("colsB", 4).put("seed", 9).put("verify", "auto");
    JsonObject view = spec.copy().put("id", id).put("status", "running").put("createdAt", "2026-12-02T01:00:00.000Z");
    return new JsonObject().put("view", view).put("spec", spec);
  }

  private static DeliveryOptions fenced(long fence) {
    return new DeliveryOptions().addHeader(HEADER_FENCE, String.valueOf(fence));
  }

  private static int refusalCode(Future<?> write) {
    Throwable err = assertThrows(Throwable.class, () -> TestGrid.awaitOrThrow(write));
    assertInstanceOf(ReplyException.class, err, String.valueOf(err));
    return ((ReplyException) err).failureCode();
  }

  @ParameterizedTest(name = "on {0}")
  @ValueSource(strings = {"sqlite", "postgresql"})
  @DisplayName("a paused holder loses the lease to the other with a higher fence, and its fenced writes change nothing")
  void pausedHolderIsFencedOff(String database) throws Exception {
    start(database);
    Events a = new Events();
    Elector electorA = candidate(nodeA, "node-a", a);
    long fenceA = a.elected.get(10, TimeUnit.SECONDS);
    Events b = new Events();
    Elector electorB = candidate(nodeB, "node-b", b);
    TestGrid.await(nodeA.eventBus().request(DB_JOB_INSERT, job("job-1")));
    // The holder's fenced write goes through while it holds the lease.
    TestGrid.await(nodeA.eventBus().request(DB_JOB_UPDATE, new JsonObject().put("id", "job-1").put("chunksDone", 3),
        fenced(fenceA)));
    assertEquals(3, scalar("SELECT chunks_done FROM jobs WHERE id = 'job-1'"));
    assertFalse(b.elected.isDone(), "one scheduler at a time: B waits while A renews");

    long pausedAt = System.nanoTime();
    onContext(nodeA, () -> {
      electorA.suspend(); // as SIGSTOP would: no more renewals, nothing released
      return null;
    });
    String why = a.deposed.get(10, TimeUnit.SECONDS);
    long fenceB = b.elected.get(10, TimeUnit.SECONDS);
    double selfFencedMs = (a.deposedAt - pausedAt) / 1e6;
    double takeoverMs = (b.electedAt - pausedAt) / 1e6;
    assertTrue(fenceB > fenceA, "the new holder's fence " + fenceB + " is above the old " + fenceA);
    assertTrue(selfFencedMs < takeoverMs, "A stopped acting (" + selfFencedMs + " ms) before B took over ("
        + takeoverMs + " ms): " + why);
    assertFalse(onContext(nodeA, electorA::mayAct));
    assertEquals("node-b", text("SELECT holder FROM scheduler_lease"));

    // The old holder wakes up and writes with its old fence: completion, result row, credits, all refused.
    assertEquals(STALE_FENCE_CODE, refusalCode(nodeA.eventBus().request(DB_JOB_UPDATE,
        new JsonObject().put("id", "job-1").put("status", "completed").put("chunksDone", 60), fenced(fenceA))));
    JsonObject credit = new JsonObject().put("jobId", "job-1").put("chunks", new JsonArray()
        .add(new JsonObject().put("chunk", 0).put("workerId", "w-old").put("name", "old").put("multiplyAdds", 24L)
            .put("computeMs", 1.0)));
    assertEquals(STALE_FENCE_CODE, refusalCode(nodeA.eventBus().request(DB_CREDITS_GRANT, credit, fenced(fenceA))));
    assertEquals("running", text("SELECT status FROM jobs WHERE id = 'job-1'"), "the job did not complete");
    assertEquals(3, scalar("SELECT chunks_done FROM jobs WHERE id = 'job-1'"));
    assertEquals(0, scalar("SELECT COUNT(*) FROM chunk_credits"), "nothing credited");
    assertEquals(0, scalar("SELECT COUNT(*) FROM leaderboard"));

    // The new holder's writes pass, and a job completes once only.
    TestGrid.await(nodeB.eventBus().request(DB_JOB_UPDATE, new JsonObject().put("id", "job-1").put("status", "completed"),
        fenced(fenceB)));
    assertEquals(0, (int) TestGrid.await(nodeB.eventBus().<Integer>request(DB_JOB_UPDATE,
        new JsonObject().put("id", "job-1").put("status", "failed"), fenced(fenceB))).body(), "a finished job is not ended again");
    assertEquals("completed", text("SELECT status FROM jobs WHERE id = 'job-1'"));
    TestGrid.await(nodeB.eventBus().request(DB_CREDITS_GRANT, credit, fenced(fenceB)));
    assertEquals(1, scalar("SELECT COUNT(*) FROM chunk_credits"));
    System.out.printf("election on %s: holder paused; it fenced itself after %.0f ms, the other took over after %.0f ms "
        + "(lease %d ms)%n", database, selfFencedMs, takeoverMs, LEASE_MS);
    onContext(nodeB, electorB::stop);
  }

  @ParameterizedTest(name = "on {0}")
  @ValueSource(strings = {"sqlite", "postgresql"})
  @DisplayName("a holder that stops releases its lease: another takes over well within the lease")
  void stopReleasesTheLease(String database) throws Exception {
    start(database);
    Events a = new Events();
    Elector electorA = candidate(nodeA, "node-a", a);
    long fenceA = a.elected.get(10, TimeUnit.SECONDS);
    Events b = new Events();
    candidate(nodeB, "node-b", b);
    long stoppedAt = System.nanoTime();
    TestGrid.await(onContext(nodeA, electorA::stop));
    long fenceB = b.elected.get(10, TimeUnit.SECONDS);
    double takeoverMs = (b.electedAt - stoppedAt) / 1e6;
    assertTrue(fenceB > fenceA);
    assertTrue(takeoverMs < LEASE_MS / 2.0, "took over after " + takeoverMs + " ms, well within the lease of " + LEASE_MS);
    JsonObject lease = TestGrid.await(nodeB.eventBus().<JsonObject>request(DB_LEASE_GET, new JsonObject())).body();
    assertEquals("node-b", lease.getString("holder"));
    assertEquals(fenceB, lease.getLong("fence"));
    assertEquals(LEASE_MS, lease.getLong("leaseMs"));
    System.out.printf("election on %s: released on stop, taken over after %.0f ms (lease %d ms, renewal every %d ms)%n",
        database, takeoverMs, LEASE_MS, RENEW_MS);
  }
}

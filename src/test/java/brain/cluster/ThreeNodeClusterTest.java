package brain.cluster;

import static org.junit.jupiter.api.Assertions.*;

import brain.cluster.ThreeNodes.Shape;
import brain.testing.NodeProcess;
import brain.testing.Timelines;
import brain.worker.HeadlessWorker;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * No single point of failure, from outside: three node processes on loopback, one real
 * PostgreSQL database, two honest headless workers per node (real sockets to each node's port,
 * real products checked against a float64 reference), a scheduler lease of 2 s. The scenarios
 * run in order on one cluster; a node killed in one is replaced by a new process before the next.
 * After each, the database is read with JDBC: every accepted job exactly once and completed, one
 * credit per (job, chunk), the leaderboard the sum of the credits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ThreeNodeClusterTest {
  /** 120 chunks of 2 rows: at 40 ms a chunk, six workers take a few seconds, time enough to strike mid-job. */
  private static final Shape MID = new Shape(240, 48, 32, 2);
  private static final Shape SMALL = new Shape(60, 48, 32, 2);
  private static final long MS_PER_CHUNK = 40;

  private ThreeNodes grid;
  /** Every job accepted so far, with its shape: the database must hold exactly these, completed. */
  private final Map<String, Shape> accepted = new ConcurrentHashMap<>();

  @BeforeAll
  void start() throws Exception {
    long began = System.nanoTime();
    grid = new ThreeNodes();
    grid.ensureThree();
    for (int slot = 0; slot < 3; slot++) {
      grid.workersOn(slot, MS_PER_CHUNK);
    }
    System.out.printf("three nodes: listening, clustered and one elected in %d ms%n", ms(began));
  }

  @AfterAll
  void stop() {
    if (grid != null) {
      grid.close();
    }
  }

  private static long ms(long since) {
    return (System.nanoTime() - since) / 1_000_000;
  }

  private String submit(int slot, Shape shape) {
    String id = grid.submit(grid.nodes[slot], shape);
    accepted.put(id, shape);
    return id;
  }

  private NodeProcess live(int slot) {
    return grid.nodes[slot];
  }

  @Test
  @Order(1)
  @Timeout(90)
  @DisplayName("a job submitted at each node is computed by workers of every node, right, and says which node accepted it")
  void jobAtEachNode() throws Exception {
    grid.ensureThree();
    String[] ids = new String[3];
    for (int slot = 0; slot < 3; slot++) {
      ids[slot] = submit(slot, SMALL);
    }
    Set<String> seenNodes = new HashSet<>();
    ThreeNodes.until("the three jobs final", 60, () -> {
      boolean allFinal = true;
      for (String id : ids) {
        JsonObject v = grid.view(id);
        if (v != null && v.getJsonObject("chunksByNode") != null) {
          seenNodes.addAll(v.getJsonObject("chunksByNode").fieldNames());
        }
        allFinal &= v != null && List.of("completed", "failed", "cancelled").contains(v.getString("status"));
      }
      return allFinal;
    });
    Set<String> nodeIds = new HashSet<>();
    for (int slot = 0; slot < 3; slot++) {
      nodeIds.add(grid.nodeId(live(slot)));
    }
    for (int slot = 0; slot < 3; slot++) {
      JsonObject view = grid.view(ids[slot]);
      assertEquals("completed", view.getString("status"), view.encodePrettily());
      assertEquals(grid.nodeId(live(slot)), view.getString("acceptedBy"), "the job names the node that accepted it");
      grid.assertProduct(live((slot + 1) % 3), ids[slot], SMALL);
      Set<String> computedOn = new HashSet<>();
      for (String worker : grid.creditedWorkers(ids[slot])) {
        computedOn.add(grid.workers.get(worker).node());
      }
      assertEquals(3, computedOn.size(), "job " + slot + " computed by workers of every node: " + computedOn);
    }
    assertEquals(nodeIds, seenNodes, "chunksByNode named the three nodes");
    grid.assertLedger(accepted);
  }

  @Test
  @Order(2)
  @Timeout(120)
  @DisplayName("kill -9 of a node that does not schedule, mid-job: its workers reconnect elsewhere, the job completes right, no failover")
  void killNineOfANonScheduler() throws Exception {
    grid.ensureThree();
    int scheduler = grid.schedulerSlot(live(0));
    int victim = (scheduler + 1) % 3;
    long fence = grid.fence(live(scheduler));
    String id = submit(victim, MID); // accepted by the node about to die
    grid.awaitChunksDone(id, 20);
    String victimUrl = live(victim).url();
    List<HeadlessWorker> orphans = grid.workers.values().stream().filter(w -> victimUrl.equals(w.node())).toList();
    long killed = System.nanoTime();
    live(victim).kill9();
    grid.gone(victim);
    String during = submit(scheduler, SMALL); // submissions go on at the survivors
    JsonObject view = grid.awaitFinal(id, 60);
    long doneMs = ms(killed);
    assertEquals("completed", view.getString("status"), view.encodePrettily());
    assertEquals(fence, grid.fence(live(scheduler)), "the scheduler was not changed");
    for (HeadlessWorker w : orphans) {
      ThreeNodes.until(w.name() + " reconnected to a survivor", 30, () -> w.isConnected() && !victimUrl.equals(w.node()));
    }
    grid.assertProduct(live(scheduler), id, MID);
    assertEquals("completed", grid.awaitFinal(during, 60).getString("status"));
    grid.assertProduct(live(scheduler), during, SMALL);
    grid.assertLedger(accepted);
    System.out.printf("kill -9 of a non-scheduler: job completed %d ms after the kill; %d workers moved%n", doneMs,
        orphans.size());
  }

  @Test
  @Order(3)
  @Timeout(120)
  @DisplayName("SIGSTOP of the scheduler for twice its lease, then SIGCONT: another completes the job; no double completion or credit")
  void pausedScheduler() throws Exception {
    grid.ensureThree();
    int paused = grid.schedulerSlot(live(0));
    int other = (paused + 1) % 3;
    String pausedId = grid.nodeId(live(paused));
    long fence = grid.fence(live(other));
    String id = submit(other, MID);
    grid.awaitChunksDone(id, 20);
    live(paused).sigstop();
    long stopped = System.nanoTime();
    CompletableFuture<String> during;
    try {
      // The scenario: paused for twice the lease, a submission sent at another node half-way.
      Thread.sleep(ThreeNodes.LEASE_MS);
      long sent = System.nanoTime();
      during = CompletableFuture.supplyAsync(() -> submit(other, SMALL))
          .thenApply(accepted -> {
            assertTrue(ms(sent) < 15_000, "a submission sent during the pause was accepted within 15 s: " + ms(sent));
            return accepted;
          });
      Thread.sleep(ThreeNodes.LEASE_MS);
      JsonObject health = grid.health(live(other));
      assertNotNull(health, "a live node answers health while another is paused");
      JsonObject lease = health.getJsonObject("scheduler");
      assertNotEquals(pausedId, lease.getString("holder"), "another node holds the lease while it is paused: " + lease);
      assertTrue(lease.getLong("fence") > fence, lease.encode());
    } finally {
      live(paused).sigcont();
    }
    String duringId = during.get();
    JsonObject view = grid.awaitFinal(id, 60);
    assertEquals("completed", view.getString("status"), view.encodePrettily());
    assertEquals("completed", grid.awaitFinal(duringId, 60).getString("status"));
    String state = databaseState();
    // Woken, it finds its lease gone and steps down; whatever it had in hand changes nothing.
    ThreeNodes.until("the woken node's health names another holder", 30, () -> {
      JsonObject h = grid.health(live(paused));
      return h != null && h.getJsonObject("scheduler") != null
          && !pausedId.equals(h.getJsonObject("scheduler").getString("holder"));
    });
    grid.assertProduct(live(other), id, MID);
    grid.assertProduct(live(other), duringId, SMALL);
    grid.assertLedger(accepted);
    assertEquals(state, databaseState(), "nothing the woken node did reached the database");
    System.out.printf("SIGSTOP %d ms: fence %d -> %d, job completed by the new scheduler%n", ms(stopped),
        fence, grid.fence(live(other)));
  }

  @Test
  @Order(4)
  @Timeout(120)
  @DisplayName("kill -9 of the scheduler's node mid-job: the job completes right within 60 s, survivors accept within 15 s, "
      + "chunks accepted before the kill are not recomputed")
  void killNineOfTheScheduler() throws Exception {
    grid.ensureThree();
    int victim = grid.schedulerSlot(live(0));
    int[] survivors = {(victim + 1) % 3, (victim + 2) % 3};
    long fence = grid.fence(live(survivors[0]));
    String id = submit(victim, MID); // accepted by the scheduler's own node
    int acceptedBefore = grid.awaitChunksDone(id, 20).getInteger("chunksDone");
    live(victim).kill9();
    long killed = System.nanoTime();
    grid.gone(victim);

    // A client retrying at the survivors, one Idempotency-Key, meanwhile: the first 2xx after the kill.
    AtomicLong acceptedAtMs = new AtomicLong();
    CompletableFuture<HttpResponse<String>> probing = CompletableFuture
        .supplyAsync(() -> {
          HttpResponse<String> first = firstAccepted(survivors, killed);
          acceptedAtMs.set(ms(killed));
          return first;
        });
    // Resumed by a new term: the live view names a higher fence.
    ThreeNodes.until("a survivor resumed the job", 10, () -> {
      JsonObject v = grid.view(id);
      return v != null && ("completed".equals(v.getString("status")) || v.getJsonObject("scheduledBy") != null
          && v.getJsonObject("scheduledBy").getLong("fence") > fence); // resumed, or resumed and done already
    });
    long resumedMs = ms(killed);
    HttpResponse<String> answer = probing.get();
    long acceptMs = acceptedAtMs.get();
    assertEquals(202, answer.statusCode(), answer.body());
    String probe = new JsonObject(answer.body()).getString("id");
    accepted.put(probe, SMALL);

    JsonObject view = grid.awaitFinal(id, 60);
    long doneMs = ms(killed);
    assertEquals("completed", view.getString("status"), view.encodePrettily());
    assertTrue(doneMs < 60_000, "completed " + doneMs + " ms after the kill");
    NodeProcess asked = live(survivors[0]);
    assertNotEquals(victim, grid.schedulerSlot(asked));
    assertTrue(grid.fence(asked) > fence, "a new term");
    grid.assertProduct(asked, id, MID);
    List<JsonObject> events = grid.timeline(asked, id);
    int resumed = Timelines.resumedChunks(events);
    assertTrue(resumed >= acceptedBefore, "the " + acceptedBefore + " chunks accepted before the kill were taken from "
        + "the checkpoint (" + resumed + "): " + Timelines.describe(events));
    // Every chunk not resumed had to be sent out to be done; so if the distinct chunks sent out are
    // exactly that many, none of the resumed ones was (a copy sent again to a worker that moved counts once).
    assertEquals(MID.chunks() - resumed, distinctChunks(events, "dispatch"),
        "the new scheduler sent out only the chunks not accepted before: " + Timelines.describe(events));
    assertEquals(MID.chunks() - resumed, distinctChunks(events, "done"), "and computed just those");
    assertEquals("completed", grid.awaitFinal(probe, 60).getString("status"));
    grid.assertProduct(asked, probe, SMALL);
    grid.assertLedger(accepted);
    System.out.printf("kill -9 of the scheduler: the job resumed by a survivor %d ms after the kill; survivors accepted a "
        + "job %d ms after it; the job completed %d ms after the kill; %d chunks resumed (%d seen accepted before), %d "
        + "sent out (the others, some twice to workers that moved)%n", resumedMs, acceptMs, doneMs, resumed,
        acceptedBefore, Timelines.ofType(events, "dispatch").size());
  }

  @Test
  @Order(5)
  @Timeout(180)
  @DisplayName("rolling restart of the three nodes, one at a time, while a client submits jobs (retrying with Idempotency-Key): all complete right")
  void rollingRestart() throws Exception {
    grid.ensureThree();
    AtomicBoolean submitting = new AtomicBoolean(true);
    List<String> stream = Collections.synchronizedList(new ArrayList<>());
    List<String> failures = Collections.synchronizedList(new ArrayList<>());
    // Three clients: a key whose first request a stopping node held when it went away stays "in
    // progress" for IdempotencyStore.TAKE_OVER_AFTER_MS (10 s), and its client retries it meanwhile
    // (one client alone once got a single job in over a 13 s restart); the others go on submitting.
    Runnable submitter = () -> {
      while (submitting.get()) {
        String key = UUID.randomUUID().toString();
        long deadline = System.nanoTime() + 30_000_000_000L;
        HttpResponse<String> answer = null;
        while (System.nanoTime() < deadline && (answer == null || answer.statusCode() != 202)) {
          NodeProcess node = grid.nodes[ThreadLocalRandom.current().nextInt(3)];
          if (node == null || !node.isAlive()) {
            sleep(50);
            continue;
          }
          answer = grid.trySubmit(node, SMALL, key);
          if (answer == null || answer.statusCode() != 202) {
            sleep(200);
          }
        }
        if (answer == null || answer.statusCode() != 202) {
          failures.add(answer == null ? "no answer" : answer.statusCode() + " " + answer.body());
          return;
        }
        String id = new JsonObject(answer.body()).getString("id");
        stream.add(id);
        accepted.put(id, SMALL);
        sleep(300);
      }
    };
    List<Thread> clients = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      Thread client = new Thread(submitter, "rolling-client-" + c);
      client.start();
      clients.add(client);
    }
    long began = System.nanoTime();
    for (int slot = 0; slot < 3; slot++) {
      int exit = live(slot).sigterm(ThreeNodes.DRAIN_MS / 1000 + 20);
      assertEquals(0, exit, "a stop asked for is a clean exit");
      grid.gone(slot);
      grid.ensureThree();
    }
    submitting.set(false);
    for (Thread client : clients) {
      client.join(40_000);
    }
    assertEquals(List.of(), failures, "every submission was accepted by some node, retried with its key");
    assertTrue(stream.size() >= 5, "jobs were submitted throughout: " + stream.size());
    for (String id : List.copyOf(stream)) {
      JsonObject view = grid.awaitFinal(id, 60);
      assertEquals("completed", view.getString("status"), view.encodePrettily());
      grid.assertProduct(live(0), id, SMALL);
    }
    grid.assertLedger(accepted);
    System.out.printf("rolling restart: three nodes restarted in %d ms; %d jobs submitted meanwhile, all completed right%n",
        ms(began), stream.size());
  }

  @Test
  @Order(6)
  @Timeout(90)
  @DisplayName("SIGTERM of the scheduler's node mid-job: its workers move, it exits 0, the job completes right")
  void sigtermDrain() throws Exception {
    grid.ensureThree();
    int draining = grid.schedulerSlot(live(0));
    int other = (draining + 1) % 3;
    List<HeadlessWorker> movers = grid.workersOn(draining, MS_PER_CHUNK);
    String drainingUrl = live(draining).url();
    String id = submit(other, MID);
    ThreeNodes.until("the draining node's workers are mid-job", 30,
        () -> movers.stream().mapToLong(HeadlessWorker::chunksDone).sum() >= 4);
    long began = System.nanoTime();
    assertEquals(0, live(draining).sigterm(ThreeNodes.DRAIN_MS / 1000 + 20), "a clean exit");
    long exitMs = ms(began);
    grid.gone(draining);
    for (HeadlessWorker w : movers) {
      ThreeNodes.until(w.name() + " moved", 10, () -> w.isConnected() && !drainingUrl.equals(w.node()));
    }
    JsonObject view = grid.awaitFinal(id, 60);
    assertEquals("completed", view.getString("status"), view.encodePrettily());
    grid.assertProduct(live(other), id, MID);
    grid.assertLedger(accepted);
    System.out.printf("SIGTERM of the scheduler's node: exited 0 after %d ms, its workers moved, job completed%n", exitMs);
  }

  /** POST /api/jobs at the survivors in turn with one Idempotency-Key, as a client retries: the first 202, within 15 s. */
  private HttpResponse<String> firstAccepted(int[] survivors, long since) {
    String key = UUID.randomUUID().toString();
    HttpResponse<String> answer = null;
    for (int attempt = 0; answer == null || answer.statusCode() != 202; attempt++) {
      assertTrue(ms(since) < 15_000, "a survivor accepted a submission within 15 s of the kill; last: "
          + (answer == null ? "no answer" : answer.statusCode() + " " + answer.body()));
      answer = grid.trySubmit(live(survivors[attempt % 2]), SMALL, key);
      if (answer == null || answer.statusCode() != 202) {
        sleep(100);
      }
    }
    accepted.put(new JsonObject(answer.body()).getString("id"), SMALL);
    assertTrue(ms(since) < 15_000, "accepted within 15 s of the kill: " + ms(since) + " ms");
    return answer;
  }

  private static long distinctChunks(List<JsonObject> events, String type) {
    return Timelines.ofType(events, type).stream().map(e -> e.getValue("chunk")).distinct().count();
  }

  /** The jobs' rows and the credits, as text: any later write would show. */
  private String databaseState() throws Exception {
    try (Connection c = DriverManager.getConnection(grid.db);
         ResultSet jobs = c.createStatement().executeQuery("SELECT string_agg(id || status || completed_at || "
             + "chunks_done, ',' ORDER BY id) FROM jobs");
         ResultSet credits = c.createStatement().executeQuery("SELECT COUNT(*), SUM(multiply_adds) FROM chunk_credits");
         ResultSet board = c.createStatement().executeQuery("SELECT SUM(tasks_completed), SUM(verified_multiply_adds) "
             + "FROM leaderboard")) {
      jobs.next();
      credits.next();
      board.next();
      return jobs.getString(1) + "|" + credits.getString(1) + "|" + credits.getString(2) + "|" + board.getString(1)
          + "|" + board.getString(2);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

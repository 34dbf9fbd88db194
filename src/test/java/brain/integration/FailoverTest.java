package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Credits;
import brain.testing.TestEngines;
import brain.testing.TestGrid;
import brain.testing.Timelines;
import brain.worker.HeadlessWorker;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A change of scheduler under a running job, on one real server: another holder takes the
 * lease row (as another node would) and then lets it run out (as a node that died would). The
 * server stops scheduling as soon as it sees the lease taken; meanwhile the API keeps answering
 * (submissions kept, views from the database, cancel 503); when the server is elected again
 * with a higher fence it resumes the job from its checkpoint, announces itself, and the worker
 * registers again on the same socket, without reconnecting.
 */
@Timeout(120)
class FailoverTest {
  private static final long LEASE_MS = 1500;

  @Test
  @DisplayName("a new term resumes the job from its checkpoint; the worker re-registers on the announcement; the gap answers")
  void newTermResumesAndWorkersReRegister() throws Exception {
    try (TestGrid grid = TestGrid.start(Map.of("cluster.schedulerLeaseMs", LEASE_MS, "cluster.schedulerRenewMs", 250L));
         TestGrid.JobWatch watch = grid.watch()) {
      CountDownLatch someDone = new CountDownLatch(10);
      AtomicInteger received = new AtomicInteger();
      HeadlessWorker worker = grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), "steady",
          TestEngines.slowCpu(15)).withSlots(1));
      worker.behaviour((w, chunk) -> {
        received.incrementAndGet();
        someDone.countDown();
        return false;
      });
      String id = grid.submit("{\"rowsA\":300,\"colsA\":120,\"colsB\":90,\"chunkRows\":5}");
      assertTrue(someDone.await(60, TimeUnit.SECONDS), "the job was under way");
      JsonObject before = grid.job(id);
      long oldFence = before.getJsonObject("scheduledBy").getLong("fence");

      // Another holder takes the lease for two leases' time, then "dies".
      long intruderUntil = System.currentTimeMillis() + 2 * LEASE_MS;
      try (Connection db = grid.database()) {
        assertEquals(1, db.createStatement().executeUpdate("UPDATE scheduler_lease SET holder = 'intruder', "
            + "fence = fence + 1, expires_at = " + intruderUntil + " WHERE id = 1"));
      }
      int receivedAtTakeover = received.get();
      // The gap: no scheduler on this node. The API answers at once, from the database where it can.
      JsonObject gapHealth = awaitHealth(grid, h -> "intruder".equals(h.getJsonObject("scheduler").getString("holder")));
      assertEquals(oldFence + 1, gapHealth.getJsonObject("scheduler").getLong("fence"));
      awaitNoScheduler(grid, id);
      HttpResponse<String> cancel = grid.delete("/api/jobs/" + id);
      assertEquals(503, cancel.statusCode(), cancel.body());
      assertTrue(cancel.body().contains("being elected"), cancel.body());
      HttpResponse<String> view = grid.get("/api/jobs/" + id);
      assertEquals(200, view.statusCode(), view.body());
      assertEquals("running", new JsonObject(view.body()).getString("status"), "the stored view, while no one schedules");
      String second = grid.submit("{\"rowsA\":20,\"colsA\":10,\"colsB\":10}"); // kept for the next scheduler

      JsonObject done = watch.finished(id, java.time.Duration.ofSeconds(60));
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      assertEquals("completed", watch.finished(second, java.time.Duration.ofSeconds(60)).getString("status"));
      long newFence = done.getJsonObject("scheduledBy").getLong("fence");
      assertTrue(newFence >= oldFence + 2, "scheduled in a later term: fence " + newFence + " after " + oldFence);
      assertTrue(worker.sessions() >= 2, "the worker registered again with the new term, on its socket");
      grid.assertJobProduct(id, 300, 120, 90);
      Credits.assertEachChunkCreditedOnce(grid, id, 60, 300, 120, 90);
      Credits.assertLeaderboardAddsUp(grid);
      int receivedAfter = received.get() - receivedAtTakeover;
      // The stored timeline is the last term's: the chunks it took from the checkpoint, and those it computed.
      var events = Timelines.of(grid, id);
      int resumed = Timelines.resumedChunks(events);
      assertTrue(resumed > 0, "chunks accepted in the old term were resumed: " + Timelines.describe(events));
      assertEquals(60 - resumed, Timelines.ofType(events, "done").size(), "the new term computed only the chunks not "
          + "accepted before: " + Timelines.describe(events));
      assertEquals(60 - resumed, Timelines.ofType(events, "dispatch").size(), "and sent out nothing else");
      assertTrue(receivedAfter >= 60 - resumed, "the worker computed them, after registering again");
      try (Connection db = grid.database();
           ResultSet status = db.createStatement().executeQuery("SELECT status, chunks_done FROM jobs WHERE id = '" + id + "'")) {
        assertTrue(status.next());
        assertEquals("completed", status.getString(1));
      }
      System.out.printf("failover: %d chunks received before the takeover; the new term resumed %d from the "
          + "checkpoint and computed %d (of 60); fence %d, then %d%n", receivedAtTakeover, resumed, 60 - resumed, oldFence,
          newFence);
    }
  }

  /** Health, polled until {@code until} holds (the lease row changes outside the server: nothing to listen to). */
  private static JsonObject awaitHealth(TestGrid grid, java.util.function.Predicate<JsonObject> until) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      JsonObject health = new JsonObject(grid.get("/api/health").body());
      if (until.test(health) || System.nanoTime() > deadline) {
        return health;
      }
      Thread.sleep(50);
    }
  }

  /** Waits until the server has stepped down: the live view (with its phase) is gone, the stored one answers. */
  private static void awaitNoScheduler(TestGrid grid, String id) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (new JsonObject(grid.get("/api/jobs/" + id).body()).getValue("scheduledBy") != null) {
      assertTrue(System.nanoTime() < deadline, "the server stepped down once the lease was taken");
      Thread.sleep(20);
    }
  }
}

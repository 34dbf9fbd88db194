package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestEngines;
import brain.testing.TestGrid;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Workers that vanish, freeze, answer late, straggle or fail: every job still ends right. */
@Timeout(120)
class FaultToleranceTest {
  private TestGrid grid;

  @AfterEach
  void stop() {
    if (grid != null) {
      grid.close();
    }
  }

  private HeadlessWorker worker(String name, int slots) {
    return grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), name, Engines.cpu(1)).withSlots(slots));
  }

  private static long count(List<JsonObject> events, String type, String worker) {
    return events.stream().filter(e -> type.equals(e.getString("type"))
        && (worker == null || worker.equals(e.getString("worker")))).count();
  }

  private List<JsonObject> timeline(String id) {
    JsonArray events = new JsonObject(grid.get("/api/jobs/" + id + "/timeline").body()).getJsonArray("events");
    return events.stream().map(JsonObject.class::cast).toList();
  }

  @Test
  @DisplayName("a frozen worker (socket open, silent) is declared lost after the heartbeat timeout; its chunks go elsewhere")
  void frozenWorker() {
    // Speculation off: here the heartbeat timeout alone must rescue the chunks.
    grid = TestGrid.start(Map.of("heartbeat.intervalMs", 200, "heartbeat.timeoutMs", 1000, "scheduler.leaseMs", 60_000,
        "scheduler.speculation.minMs", 600_000));
    HeadlessWorker frozen = worker("frozen", 2);
    CountDownLatch froze = new CountDownLatch(1);
    frozen.behaviour((w, chunk) -> {
      w.freeze();
      froze.countDown();
      return true;
    });
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":64,\"colsA\":40,\"colsB\":30,\"chunkRows\":8}");
      assertTrue(awaitLatch(froze));
      long frozeAt = System.currentTimeMillis();
      worker("healthy", 2);
      JsonObject done = watch.finished(id);
      long tookMs = System.currentTimeMillis() - frozeAt;
      assertEquals("completed", done.getString("status"));
      grid.assertJobProduct(id, 64, 40, 30);
      List<JsonObject> events = timeline(id);
      JsonObject lost = events.stream().filter(e -> "lost".equals(e.getString("type"))).findFirst().orElseThrow();
      assertEquals("frozen", lost.getString("worker"));
      assertTrue(lost.getString("detail").startsWith("no heartbeat for"), lost.encode());
      assertEquals(0, count(events, "done", "frozen"));
      assertTrue(tookMs < 60_000, "rescued by the heartbeat timeout, not the 60 s lease: " + tookMs + " ms");
      System.out.printf("frozen worker: job completed %d ms after the worker froze (heartbeat timeout 1000 ms)%n", tookMs);
    }
  }

  @Test
  @DisplayName("a worker whose socket closes mid-chunk loses its chunks to another worker at once")
  void disconnectMidChunk() {
    grid = TestGrid.start();
    HeadlessWorker leaving = worker("leaving", 2);
    CountDownLatch holding = new CountDownLatch(2);
    leaving.behaviour((w, chunk) -> {
      holding.countDown();
      return true; // holds its chunks without answering
    });
    try (TestGrid.JobWatch watch = grid.watch(); TestGrid.TimelineWatch events = grid.timelineWatch()) {
      String id = grid.submit("{\"rowsA\":40,\"colsA\":33,\"colsB\":21,\"chunkRows\":10}");
      assertTrue(awaitLatch(holding));
      worker("staying", 2);
      TestGrid.await(leaving.dropConnection());
      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, 40, 33, 21);
      List<JsonObject> all = events.awaitCount(id, "completed", 1);
      List<JsonObject> lost = all.stream().filter(e -> "lost".equals(e.getString("type"))).toList();
      assertEquals(2, lost.size(), "both held chunks were taken back");
      for (JsonObject loss : lost) {
        assertEquals("socket closed", loss.getString("detail"));
        JsonObject resent = all.stream().filter(e -> "dispatch".equals(e.getString("type"))
            && e.getInteger("chunk").equals(loss.getInteger("chunk")) && "attempt 2".equals(e.getString("detail")))
            .findFirst().orElseThrow();
        assertEquals("staying", resent.getString("worker"));
        System.out.printf("chunk %d re-sent %d ms after its worker's socket closed%n", loss.getInteger("chunk"),
            resent.getLong("t") - loss.getLong("t"));
      }
    }
  }

  @Test
  @DisplayName("a result sent after its lease expired is discarded: exactly one result is accepted and credited")
  void lateResult() throws Exception {
    grid = TestGrid.start(Map.of("scheduler.leaseMs", 300));
    HeadlessWorker slow = worker("slow", 1);
    CompletableFuture<HeadlessWorker.Chunk> slowChunk = new CompletableFuture<>();
    CompletableFuture<float[]> slowProduct = new CompletableFuture<>();
    slow.behaviour((w, chunk) -> {
      slowProduct.complete(w.computeNow(chunk)); // computed now, sent only after its lease expired
      return slowChunk.complete(chunk) || true;
    });
    try (TestGrid.JobWatch watch = grid.watch(); TestGrid.TimelineWatch events = grid.timelineWatch()) {
      String id = grid.submit("{\"rowsA\":12,\"colsA\":9,\"colsB\":7,\"chunkRows\":12}");
      HeadlessWorker.Chunk late = slowChunk.get(30, TimeUnit.SECONDS);
      events.awaitCount(id, "expired", 1);
      // The chunk goes to a punctual worker, which holds it until the slow one has spoken.
      HeadlessWorker punctual = worker("punctual", 1);
      CompletableFuture<HeadlessWorker.Chunk> punctualChunk = new CompletableFuture<>();
      CompletableFuture<float[]> punctualProduct = new CompletableFuture<>();
      punctual.behaviour((w, chunk) -> {
        punctualProduct.complete(w.computeNow(chunk));
        return punctualChunk.complete(chunk) || true;
      });
      HeadlessWorker.Chunk current = punctualChunk.get(30, TimeUnit.SECONDS);
      slow.sendResult(late, slowProduct.get(), 5, 0);
      JsonObject refused = events.awaitCount(id, "rejected", 1).stream()
          .filter(e -> "rejected".equals(e.getString("type"))).findFirst().orElseThrow();
      assertEquals("slow", refused.getString("worker"));
      assertTrue(refused.getString("detail").contains("late or unknown lease"), refused.encode());
      punctual.sendResult(current, punctualProduct.get(), 5, 0);
      assertEquals("completed", watch.finished(id).getString("status"));
      // And once more after the job ended: dropped at no cost, no new event, nothing stored.
      slow.sendResult(late, slowProduct.get(), 5, 0);
      slow.sendResult(late, slowProduct.get(), 5, 0);
      // A heartbeat round trip on the same socket: the results before it have been handled.
      TestGrid.await(slow.client().request(brain.bus.Addresses.WORKER_HEARTBEAT,
          new JsonObject().put("sessionId", slow.sessionId())));
      List<JsonObject> stored = timeline(id);
      assertEquals(1, count(stored, "rejected", "slow"), "one event for the late result, none after the end");
      assertEquals(1, count(stored, "done", null), "exactly one accepted result");
      assertEquals(1, count(stored, "done", "punctual"));
      grid.assertJobProduct(id, 12, 9, 7);
    }
    try (var db = grid.database(); var rows = db.createStatement().executeQuery(
        "SELECT display_name, tasks_completed FROM leaderboard ORDER BY display_name")) {
      Map<String, Integer> tasks = new java.util.HashMap<>();
      while (rows.next()) {
        tasks.put(rows.getString(1), rows.getInt(2));
      }
      assertEquals(Map.of("punctual", 1), tasks, "credited once, to the worker whose result was accepted; no row for the other");
    }
  }

  @Test
  @DisplayName("a straggler gets a speculative copy on an idle worker; the first valid result wins, the other is cancelled")
  void stragglerIsSpeculated() throws Exception {
    grid = TestGrid.start(Map.of("scheduler.speculation.minMs", 50, "scheduler.leaseMs", 60_000));
    HeadlessWorker straggler = worker("straggler", 1);
    CompletableFuture<HeadlessWorker.Chunk> held = new CompletableFuture<>();
    straggler.behaviour((w, chunk) -> held.complete(chunk) || true);
    try (TestGrid.JobWatch watch = grid.watch(); TestGrid.TimelineWatch events = grid.timelineWatch()) {
      String id = grid.submit("{\"rowsA\":60,\"colsA\":20,\"colsB\":20,\"chunkRows\":6}");
      HeadlessWorker.Chunk chunk = held.get(30, TimeUnit.SECONDS);
      HeadlessWorker quick = worker("quick", 2);
      CompletableFuture<JsonObject> cancel = quick.nextMessage(m -> false).toCompletionStage().toCompletableFuture();
      CompletableFuture<JsonObject> cancelled = straggler.nextMessage(m -> "cancel".equals(m.getString("type")))
          .toCompletionStage().toCompletableFuture();
      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, 60, 20, 20);
      List<JsonObject> all = events.awaitCount(id, "cancelled", 1);
      JsonObject copy = all.stream().filter(e -> "speculate".equals(e.getString("type"))).findFirst().orElseThrow();
      assertEquals(chunk.chunkIndex(), copy.getInteger("chunk"));
      assertEquals("quick", copy.getString("worker"));
      JsonObject loser = all.stream().filter(e -> "cancelled".equals(e.getString("type"))).findFirst().orElseThrow();
      assertEquals("straggler", loser.getString("worker"));
      JsonObject sent = all.stream().filter(e -> "dispatch".equals(e.getString("type"))
          && "straggler".equals(e.getString("worker")) && e.getInteger("chunk") == chunk.chunkIndex()).findFirst().orElseThrow();
      assertEquals(sent.getInteger("attempt"), loser.getInteger("attempt"), "the straggler's own attempt was cancelled");
      JsonObject told = cancelled.get(30, TimeUnit.SECONDS);
      assertEquals(List.of(chunk.assignmentId()), told.getJsonArray("assignmentIds").getList(), "the straggler is told to drop it");
      cancel.cancel(true);
    }
  }

  @Test
  @DisplayName("a chunk failing on three different workers fails its job with the reason; a worker failing repeatedly is excluded")
  void poisonChunk() {
    grid = TestGrid.start(Map.of("scheduler.maxWorkerFailures", 2));
    List<HeadlessWorker> workers = new java.util.ArrayList<>();
    for (String name : List.of("reporter-1", "reporter-2", "reporter-3")) {
      HeadlessWorker w = worker(name, 1);
      workers.add(w);
      // Honest on every job but the poisoned one (9 columns), whose chunk each reports it cannot compute.
      w.behaviour((self, chunk) -> {
        if (chunk.colsB() != 9) {
          return false;
        }
        self.sendFailure(chunk, "out of memory");
        return true;
      });
    }
    // Reported failures count against a chunk only from workers with verified work: earn it first.
    for (int round = 0; round < 5 && workers.stream().anyMatch(w -> w.chunksDone() == 0); round++) {
      try (TestGrid.JobWatch watch = grid.watch()) {
        assertEquals("completed", watch.finished(grid.submit("{\"rowsA\":48,\"colsA\":8,\"colsB\":8,\"chunkRows\":4}"))
            .getString("status"));
      }
    }
    assertTrue(workers.stream().allMatch(w -> w.chunksDone() > 0), "each reporter has verified work");
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":8,\"colsA\":8,\"colsB\":9,\"chunkRows\":8}");
      JsonObject failed = watch.finished(id);
      assertEquals("failed", failed.getString("status"));
      assertTrue(failed.getString("error").contains("chunk 0 failed on 3 different workers"), failed.getString("error"));
      assertTrue(failed.getString("error").contains("out of memory"), failed.getString("error"));
      assertEquals("failed", grid.job(id).getString("status"), "stored as failed, with its reason");
      assertEquals(409, grid.get("/api/jobs/" + id + "/result").statusCode());
    }
  }

  @Test
  @DisplayName("cancelling a running job tells the workers holding its chunks, and frees their slots")
  void cancelRunningJob() throws Exception {
    grid = TestGrid.start();
    HeadlessWorker holder = worker("holder", 2);
    CountDownLatch two = new CountDownLatch(2);
    holder.behaviour((w, chunk) -> {
      two.countDown();
      return true;
    });
    String id = grid.submit("{\"rowsA\":30,\"colsA\":10,\"colsB\":10,\"chunkRows\":5}");
    assertTrue(awaitLatch(two));
    CompletableFuture<JsonObject> cancel = holder.nextMessage(m -> "cancel".equals(m.getString("type")))
        .toCompletionStage().toCompletableFuture();
    assertEquals(200, grid.delete("/api/jobs/" + id).statusCode());
    assertEquals(2, cancel.get(30, TimeUnit.SECONDS).getJsonArray("assignmentIds").size());
    assertEquals("cancelled", grid.job(id).getString("status"));
    assertEquals(2, count(timeline(id), "cancelled", "holder"), "each withdrawn chunk is on the timeline");
    JsonObject pooled = new JsonObject(grid.get("/api/workers").body()).getJsonArray("workers").getJsonObject(0);
    assertEquals(0, pooled.getInteger("inFlight"), "slots freed");
    holder.behaviour((w, chunk) -> false);
    try (TestGrid.JobWatch watch = grid.watch()) {
      String next = grid.submit("{\"rowsA\":6,\"colsA\":4,\"colsB\":4}");
      assertEquals("completed", watch.finished(next).getString("status"), "the freed worker takes new work");
    }
  }

  @Test
  @DisplayName("churn: a third of the workers are killed mid-chunk at random moments while others join; every job completes, right")
  void churn() throws Exception {
    grid = TestGrid.start(Map.of("heartbeat.intervalMs", 250, "heartbeat.timeoutMs", 1500));
    java.util.Random random = new java.util.Random(20261123);
    int workers = 24;
    int victims = workers / 3;
    CountDownLatch kills = new CountDownLatch(victims);
    for (int i = 0; i < workers; i++) {
      HeadlessWorker worker = grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), "churn-" + i,
          TestEngines.slowCpu(5)).withSlots(2));
      if (i % 3 == 0) {
        // A victim: its socket closes the moment it receives its n-th chunk, with chunks in hand.
        int fatal = 1 + random.nextInt(6);
        java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        worker.behaviour((w, chunk) -> {
          if (received.incrementAndGet() < fatal) {
            return false;
          }
          if (received.get() == fatal) {
            w.dropConnection().onComplete(v -> kills.countDown());
          }
          return true;
        });
      }
    }
    int jobs = 10;
    List<String> ids = new java.util.ArrayList<>();
    try (TestGrid.JobWatch watch = grid.watch()) {
      for (int j = 0; j < jobs; j++) {
        ids.add(grid.submit("{\"rowsA\":" + (150 + j * 7) + ",\"colsA\":61,\"colsB\":53,\"chunkRows\":4}"));
      }
      // Newcomers join while the victims fall.
      for (int joined = 0; joined < victims / 2; joined++) {
        grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), "newcomer-" + joined, TestEngines.slowCpu(5)).withSlots(2));
      }
      assertTrue(kills.await(60, TimeUnit.SECONDS), "every victim was killed mid-chunk");
      for (int j = 0; j < jobs; j++) {
        JsonObject done = watch.finished(ids.get(j));
        assertEquals("completed", done.getString("status"), done.encodePrettily());
        grid.assertJobProduct(ids.get(j), 150 + j * 7, 61, 53);
      }
      long lost = ids.stream().mapToLong(id -> count(timeline(id), "lost", null)).sum();
      long chunks = ids.stream().mapToLong(id -> grid.job(id).getLong("chunksTotal")).sum();
      assertTrue(lost >= victims, "every victim held at least one chunk when it fell: " + lost);
      System.out.printf("churn: %d jobs (%d chunks) completed and verified; %d of %d workers killed mid-chunk, %d joined;"
          + " %d leases lost and reassigned%n", jobs, chunks, victims, workers, victims / 2, lost);
    }
  }

  private static boolean awaitLatch(CountDownLatch latch) {
    try {
      return latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}

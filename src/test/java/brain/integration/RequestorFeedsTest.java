package brain.integration;

import static brain.bus.Addresses.*;
import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestGrid;
import brain.worker.BridgeClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Requestors on the bridge and in the queue: job feeds reach only signed-in dashboards and a
 * requestor only its own jobs, a revoked token closes its socket, and requestors' queued jobs
 * start in turn, not oldest first.
 */
@Timeout(90)
class RequestorFeedsTest {
  private TestGrid grid;

  @AfterEach
  void stop() {
    grid.close();
  }

  /** A bridge socket signed in with {@code token} (null: anonymous), collecting the job views it receives. */
  private record Dashboard(BridgeClient client, List<JsonObject> jobs, LinkedBlockingQueue<JsonObject> arrivals,
      LinkedBlockingQueue<String> errors, CompletableFuture<Void> closed) {
    Set<String> jobIds() {
      Set<String> ids = new java.util.HashSet<>();
      jobs.forEach(j -> ids.add(j.getString("id")));
      return ids;
    }
  }

  private Dashboard dashboard(String token) {
    WebSocketClient sockets = grid.vertx().createWebSocketClient();
    List<JsonObject> jobs = new CopyOnWriteArrayList<>();
    LinkedBlockingQueue<JsonObject> arrivals = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<String> errors = new LinkedBlockingQueue<>();
    CompletableFuture<Void> closed = new CompletableFuture<>();
    BridgeClient client = TestGrid.await(onContext(() ->
        BridgeClient.connect(grid.vertx(), sockets, "127.0.0.1", grid.port(), false, token).onSuccess(c -> {
          c.errorHandler(errors::add);
          c.closeHandler(v -> closed.complete(null));
          c.register(UI_JOBS, view -> {
            jobs.add(view);
            arrivals.add(view);
          });
        })));
    // A request round trip: the register frame before it has been handled.
    TestGrid.await(client.request(WORKER_HEARTBEAT, new JsonObject().put("sessionId", "none")).otherwiseEmpty());
    return new Dashboard(client, jobs, arrivals, errors, closed);
  }

  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    Promise<T> promise = Promise.promise();
    grid.vertx().getOrCreateContext().runOnContext(v -> action.get().onComplete(promise));
    return promise.future();
  }

  /** Waits, view by view as they arrive, until the dashboard has seen every one of {@code ids}. */
  private static void awaitJobs(Dashboard d, Set<String> ids) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!d.jobIds().containsAll(ids)) {
      long left = deadline - System.nanoTime();
      assertTrue(left > 0 && d.arrivals().poll(left, TimeUnit.NANOSECONDS) != null | d.jobIds().containsAll(ids),
          "views of " + ids + " reached the dashboard; it has " + d.jobIds());
    }
  }

  @Test
  @DisplayName("job feeds: none for anonymous sockets, a requestor's own jobs only, all for an admin; revoking a token closes its socket")
  void jobFeedsFollowTokens() throws Exception {
    grid = TestGrid.start(Map.of());
    String alice = grid.createToken("alice", "requestor");
    String bob = grid.createToken("bob", "requestor");
    Dashboard anonymous = dashboard(null);
    Dashboard aliceBoard = dashboard(alice);
    Dashboard bobBoard = dashboard(bob);
    Dashboard adminBoard = dashboard(grid.adminToken());
    assertNotNull(anonymous.errors().poll(10, TimeUnit.SECONDS), "an anonymous socket may not listen to the job feed");

    String a1 = grid.as(alice).submit("{\"rowsA\":8,\"colsA\":8,\"colsB\":8}");
    String b1 = grid.as(bob).submit("{\"rowsA\":8,\"colsA\":8,\"colsB\":8}");
    String a2 = grid.as(alice).submit("{\"rowsA\":8,\"colsA\":8,\"colsB\":8}");
    awaitJobs(adminBoard, Set.of(a1, b1, a2));
    // Published in order a1, b1, a2 on one socket each: once a2 is there, b1 would have been too.
    awaitJobs(aliceBoard, Set.of(a1, a2));
    awaitJobs(bobBoard, Set.of(b1));
    assertEquals(Set.of(a1, a2), aliceBoard.jobIds(), "alice sees her jobs only");
    assertFalse(bobBoard.jobIds().contains(a1), "bob does not see alice's jobs");
    assertTrue(anonymous.jobs().isEmpty());
    assertTrue(aliceBoard.jobs().stream().allMatch(j -> "alice".equals(j.getString("submittedBy"))));

    assertEquals(204, grid.delete("/api/tokens/alice").statusCode());
    aliceBoard.closed().get(10, TimeUnit.SECONDS);
    assertFalse(bobBoard.closed().isDone(), "other sockets stay open");
  }

  @Test
  @DisplayName("one greedy requestor cannot starve another: queued jobs start in turn between requestors")
  void requestorsTakeTurns() throws Exception {
    grid = TestGrid.start(Map.of("scheduler.maxRunningJobs", 1));
    String greedy = grid.createToken("greedy", "requestor");
    String modest = grid.createToken("modest", "requestor");
    List<String> greedyJobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      greedyJobs.add(grid.as(greedy).submit("{\"rowsA\":16,\"colsA\":8,\"colsB\":8}"));
    }
    String modestJob = grid.as(modest).submit("{\"rowsA\":16,\"colsA\":8,\"colsB\":8}");
    List<String> all = new ArrayList<>(greedyJobs);
    all.add(modestJob);
    try (TestGrid.JobWatch watch = grid.watch()) {
      grid.worker("the-only-worker");
      for (String id : all) {
        assertEquals("completed", watch.finished(id).getString("status"));
      }
    }
    List<String> byStart = new ArrayList<>(all);
    byStart.sort(java.util.Comparator.comparing(id -> grid.job(id).getString("startedAt")));
    assertEquals(List.of(greedyJobs.get(0), modestJob, greedyJobs.get(1), greedyJobs.get(2)), byStart,
        "the modest requestor's job starts second, not last");
  }
}

package brain.integration;

import static brain.bus.Addresses.*;
import static org.junit.jupiter.api.Assertions.*;

import brain.model.Float32Codec;
import brain.testing.TestGrid;
import brain.worker.BridgeClient;
import brain.worker.HeadlessWorker;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Untrusted peers on the bridge: what they may not do, and what the grid does when they try. */
@Timeout(90)
class BridgeSecurityTest {
  private TestGrid grid;
  private WebSocketClient sockets;

  @BeforeEach
  void start() {
    grid = TestGrid.start();
    sockets = grid.vertx().createWebSocketClient();
  }

  @AfterEach
  void stop() {
    grid.close();
  }

  /** A raw peer, with the error frames it receives collected. */
  private record Peer(BridgeClient client, LinkedBlockingQueue<String> errors) {
    String nextError() throws InterruptedException {
      String error = errors.poll(10, TimeUnit.SECONDS);
      assertNotNull(error, "the bridge answered with an error frame");
      return error;
    }
  }

  private Peer peer() {
    LinkedBlockingQueue<String> errors = new LinkedBlockingQueue<>();
    BridgeClient client = TestGrid.await(onContext(() ->
        BridgeClient.connect(grid.vertx(), sockets, "127.0.0.1", grid.port(), false)
            .onSuccess(c -> c.errorHandler(errors::add))));
    return new Peer(client, errors);
  }

  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    Promise<T> promise = Promise.promise();
    grid.vertx().getOrCreateContext().runOnContext(v -> action.get().onComplete(promise));
    return promise.future();
  }

  private static JsonObject registration(String name) {
    return new JsonObject().put("protocol", 1).put("workerId", "w-" + name + "-0123456789").put("name", name)
        .put("engine", "cpu").put("adapter", "test").put("slots", 1);
  }

  @Test
  @DisplayName("peers cannot reach internal addresses, publish, or register addresses not theirs")
  void addressesAreClosed() throws Exception {
    Peer mallory = peer();
    mallory.client().send(DB_JOB_INSERT, new JsonObject().put("view", new JsonObject()));
    assertEquals("access_denied", mallory.nextError());
    mallory.client().send(JOBS_CANCEL, new JsonObject().put("id", "x"));
    assertEquals("access_denied", mallory.nextError());
    mallory.client().write(new JsonObject().put("type", "publish").put("address", WORKER_RESULT)
        .put("body", new JsonObject()));
    assertEquals("rejected", mallory.nextError());
    mallory.client().register("brain.jobs.submit", body -> { });
    assertEquals("rejected", mallory.nextError());
    mallory.client().register(UI_PREFIX + "no.such.feed", body -> { });
    assertEquals("access_denied", mallory.nextError());

    HeadlessWorker victim = grid.worker("victim");
    JsonObject reply = TestGrid.await(mallory.client().request(WORKER_REGISTER, registration("mallory")));
    assertNotEquals(victim.address(), reply.getString("address"));
    mallory.client().register(victim.address(), body -> fail("received another worker's message"));
    assertEquals("rejected", mallory.nextError());
    mallory.client().send(WORKER_RESULT, new JsonObject().put("not", "checked").put("sessionId", 5));
    mallory.client().write(new JsonObject().put("type", "send").put("address", WORKER_RESULT).put("body", "text"));
    assertEquals("rejected", mallory.nextError(), "non-object bodies are refused at the bridge");
  }

  @Test
  @DisplayName("bad registrations are answered with a 400 and a reason")
  void badRegistrations() {
    Peer peer = peer();
    ReplyException e = assertThrows(ReplyException.class, () -> TestGrid.awaitOrThrow(
        peer.client().request(WORKER_REGISTER, registration("x").put("workerId", "short"))));
    assertEquals(400, e.failureCode());
    assertTrue(e.getMessage().contains("workerId"), e.getMessage());
    e = assertThrows(ReplyException.class, () -> TestGrid.awaitOrThrow(
        peer.client().request(WORKER_REGISTER, registration("x").put("engine", "quantum"))));
    assertTrue(e.getMessage().contains("engine"), e.getMessage());
    e = assertThrows(ReplyException.class, () -> TestGrid.awaitOrThrow(
        peer.client().request(WORKER_REGISTER, registration("x").put("slots", 1e9))));
    assertTrue(e.getMessage().contains("slots"), e.getMessage());
    e = assertThrows(ReplyException.class, () -> TestGrid.awaitOrThrow(
        peer.client().request(WORKER_HEARTBEAT, new JsonObject().put("sessionId", "s-unknown"))));
    assertEquals(404, e.failureCode());
  }

  @Test
  @DisplayName("a result sent for another worker's lease is refused and earns nothing; the job is still right")
  void forgedResultsAreRefused() throws Exception {
    CompletableFuture<HeadlessWorker.Chunk> held = new CompletableFuture<>();
    HeadlessWorker honest = grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), "honest",
        brain.worker.Engines.cpu(1)).withSlots(1));
    honest.behaviour((worker, chunk) -> held.complete(chunk));
    Peer mallory = peer();
    JsonObject malloryRegistration = TestGrid.await(mallory.client().request(WORKER_REGISTER, registration("mallory")));

    try (TestGrid.JobWatch watch = grid.watch(); TestGrid.TimelineWatch timeline = grid.timelineWatch()) {
      String id = grid.submit("{\"rowsA\":6,\"colsA\":5,\"colsB\":4,\"chunkRows\":6}");
      HeadlessWorker.Chunk chunk = held.get(30, TimeUnit.SECONDS);
      String zeros = Float32Codec.toBase64(new float[6 * 4]);
      JsonObject forged = new JsonObject().put("assignmentId", chunk.assignmentId()).put("jobId", id)
          .put("chunkIndex", 0).put("computeMs", 1).put("data", zeros);
      // With the honest worker's session id, and with its own.
      mallory.client().send(WORKER_RESULT, forged.copy().put("sessionId", honest.sessionId()));
      mallory.client().send(WORKER_RESULT, forged.copy().put("sessionId", malloryRegistration.getString("sessionId")));
      // The first is dropped at no cost; the second, from a session, is noted once on the timeline.
      List<JsonObject> events = timeline.awaitCount(id, "rejected", 1);
      assertTrue(events.stream().anyMatch(e -> "rejected".equals(e.getString("type"))
          && "mallory".equals(e.getString("worker")) && e.getString("detail").contains("late or unknown lease")));

      honest.behaviour((worker, c) -> false);
      honest.sendResult(chunk, honestProduct(honest, chunk), 1, 0);
      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, 6, 5, 4);
    }
    // Credits are stored before a job's completion is announced; the forger never earns a task.
    JsonArray board = new JsonObject(grid.get("/api/leaderboard").body()).getJsonArray("leaderboard");
    for (Object entry : board) {
      JsonObject row = (JsonObject) entry;
      assertNotEquals("mallory", row.getString("name"), "the forger has no leaderboard row");
      if ("honest".equals(row.getString("name"))) {
        assertEquals(1, row.getLong("tasksCompleted"));
      }
    }
  }

  private float[] honestProduct(HeadlessWorker worker, HeadlessWorker.Chunk chunk) {
    return TestGrid.await(grid.vertx().executeBlocking(() -> worker.computeNow(chunk)));
  }

  @Test
  @DisplayName("results of the wrong size, with NaN, or simply wrong are refused, their workers excluded, and the chunks computed again")
  void badResultsAreRecomputedElsewhere() throws Exception {
    java.util.concurrent.CountDownLatch threeLies = new java.util.concurrent.CountDownLatch(3);
    List<String> liars = List.of("liar-size", "liar-nan", "liar-off");
    for (String name : liars) {
      HeadlessWorker liar = grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), name,
          brain.worker.Engines.cpu(1)).withSlots(1));
      liar.behaviour((worker, chunk) -> {
        int n = chunk.rows() * chunk.colsB();
        float[] data = switch (name) {
          case "liar-size" -> new float[n + 1];
          case "liar-nan" -> { float[] d = worker.computeNow(chunk); d[n - 1] = Float.NaN; yield d; }
          default -> { float[] d = worker.computeNow(chunk); d[0] += 50f; yield d; }
        };
        worker.sendResult(chunk, data, 1, 0);
        threeLies.countDown();
        return true;
      });
    }
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":30,\"colsA\":17,\"colsB\":11,\"chunkRows\":10}");
      assertTrue(threeLies.await(30, TimeUnit.SECONDS), "each liar got a chunk and lied");
      grid.worker("truthful");
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 30, 17, 11);
      JsonArray events = new JsonObject(grid.get("/api/jobs/" + id + "/timeline").body()).getJsonArray("events");
      for (String name : liars) {
        assertEquals(1, events.stream().map(JsonObject.class::cast)
            .filter(e -> "rejected".equals(e.getString("type")) && name.equals(e.getString("worker"))).count(),
            name + "'s result was refused: " + events.encodePrettily());
        assertTrue(events.stream().map(JsonObject.class::cast)
            .anyMatch(e -> "excluded".equals(e.getString("type")) && name.equals(e.getString("worker"))), name + " excluded");
      }
      assertTrue(events.stream().map(JsonObject.class::cast).noneMatch(e ->
          "done".equals(e.getString("type")) && e.getString("worker").startsWith("liar")), "no result of a liar accepted");
    }
  }
}

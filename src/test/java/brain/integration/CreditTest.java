package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.model.WorkerLabel;
import brain.testing.Credits;
import brain.testing.RawWorker;
import brain.testing.TestGrid;
import brain.testing.Timelines;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Credit only for verified work, exactly once, and never for time a worker could not have
 * spent: results whose computeMs is malformed are refused explicitly, absurd ones are clamped to
 * what the server saw. One grid for the class; each test stops the workers it started, so the
 * next one begins with none connected.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class CreditTest {
  private static final Duration JOB_WAIT = Duration.ofSeconds(20);
  private static final Duration MESSAGE_WAIT = Duration.ofSeconds(10);

  private TestGrid grid;
  private final List<HeadlessWorker> headless = new ArrayList<>();
  private final List<RawWorker> raw = new ArrayList<>();

  @BeforeAll
  void start() {
    grid = startGrid();
  }

  /** The grid of this class: on its own SQLite file here, on PostgreSQL in {@link PostgresCreditTest}. */
  TestGrid startGrid() {
    return TestGrid.start();
  }

  @AfterAll
  void stop() {
    grid.close();
  }

  private final List<String> jobs = new ArrayList<>();

  private String submit(String json) {
    String id = grid.submit(json);
    jobs.add(id);
    return id;
  }

  /** A test that failed may leave its job running: cancel it, so the next test's workers don't get its chunks. */
  @AfterEach
  void stopWorkers() {
    for (String id : jobs) {
      String status = grid.job(id).getString("status");
      if ("queued".equals(status) || "running".equals(status)) {
        grid.delete("/api/jobs/" + id);
      }
    }
    jobs.clear();
    raw.forEach(RawWorker::close);
    raw.clear();
    headless.forEach(w -> TestGrid.await(w.stop()));
    headless.clear();
  }

  private static String id(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private HeadlessWorker honest(String name) {
    HeadlessWorker worker = grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), name, Engines.cpu(1))
        .withWorkerId(id(name)).withSlots(2));
    headless.add(worker);
    return worker;
  }

  private RawWorker raw(String name, int slots) {
    RawWorker worker = RawWorker.join(grid, id(name), name, slots);
    raw.add(worker);
    return worker;
  }

  @ParameterizedTest(name = "computeMs = {0}")
  @Timeout(30)
  @ValueSource(strings = {"-5", "\"12\""})
  @DisplayName("a result with a malformed computeMs is refused explicitly; the chunk is computed by another worker")
  void malformedComputeMsIsRefused(String computeMsJson) {
    Object computeMs = Json.decodeValue(computeMsJson);
    RawWorker liar = raw("bad-time-" + (computeMs instanceof String ? "string" : "negative"), 1);
    AtomicBoolean answered = new AtomicBoolean();
    // Its first result carries the bad time; any chunk it gets after that it holds unanswered.
    liar.rewrite((chunk, result) -> answered.compareAndSet(false, true) ? result.put("computeMs", computeMs) : null);
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = submit("{\"rowsA\":16,\"colsA\":24,\"colsB\":20,\"chunkRows\":16}");
      JsonObject refused = liar.awaitMessage(m -> "refused".equals(m.getString("type")) && id.equals(m.getString("jobId")),
          MESSAGE_WAIT);
      JsonObject sent = liar.sent().get(0);
      assertEquals(sent.getString("assignmentId"), refused.getString("assignmentId"), refused.encode());
      assertEquals(0, refused.getInteger("chunkIndex"), refused.encode());
      assertTrue(refused.getString("reason", "").contains("computeMs"), "the reason names computeMs: " + refused.encode());
      liar.close(); // whatever it still holds goes back to the queue
      raw.remove(liar);

      HeadlessWorker honest = honest("on-time-" + (computeMs instanceof String ? "string" : "negative"));
      JsonObject done = watch.finished(id, JOB_WAIT);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 16, 24, 20);
      List<JsonObject> events = Timelines.of(grid, id);
      assertAll(Timelines.describe(events),
          () -> assertEquals(1, Timelines.ofType(events, "rejected").size(), "one \"rejected\" event"),
          () -> assertEquals(1, Timelines.ofType(events, "rejected", liar.label()).size(), "... for the liar"),
          () -> assertEquals(List.of(WorkerLabel.of(honest.workerId())),
              Timelines.ofType(events, "done").stream().map(e -> e.getString("label")).toList(),
              "chunk 0 was computed by the other worker"),
          () -> Timelines.assertNoPrivateIds(events),
          () -> Credits.assertNoCredit(grid, liar.workerId(), liar.name()),
          () -> assertEquals(honest.workerId(),
              Credits.assertEachChunkCreditedOnce(grid, id, 1, 16, 24, 20).get(0).workerId()),
          () -> Credits.assertLeaderboardAddsUp(grid));
    }
  }

  @Test
  @Timeout(30)
  @DisplayName("a computeMs beyond the time the server saw is accepted but credited at most the wall time observed")
  void absurdComputeMsIsClamped() throws Exception {
    RawWorker boaster = raw("boaster", 1);
    boaster.rewrite((chunk, result) -> result.put("computeMs", 1e9).put("waitMs", 0));
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = submit("{\"rowsA\":64,\"colsA\":32,\"colsB\":32,\"chunkRows\":16}");
      CompletableFuture<JsonObject> refused = boaster.message(m -> "refused".equals(m.getString("type")));
      CompletableFuture<JsonObject> finished = CompletableFuture.supplyAsync(() -> watch.finished(id, JOB_WAIT));
      CompletableFuture.anyOf(refused, finished).get(JOB_WAIT.toSeconds() + 5, TimeUnit.SECONDS);
      if (refused.isDone()) {
        fail("a computeMs of 1e9 must be accepted (and clamped), but was refused: " + refused.get().encode());
      }
      JsonObject done = finished.get();
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 64, 32, 32);
      JsonObject view = grid.job(id);
      double wallMs = view.getJsonObject("metrics").getDouble("totalTimeMs");
      List<JsonObject> events = Timelines.of(grid, id);
      Map<Integer, Credits.Credit> credits = Credits.assertEachChunkCreditedOnce(grid, id, 4, 64, 32, 32);
      assertAll(Timelines.describe(events),
          () -> assertTrue(Timelines.ofType(events, "rejected").isEmpty(), "accepted"),
          () -> assertTrue(boaster.received().stream().noneMatch(m -> "refused".equals(m.getString("type"))), "not refused"),
          () -> {
            for (Credits.Credit credit : credits.values()) {
              assertEquals(boaster.workerId(), credit.workerId());
              assertTrue(credit.computeMs() >= 0 && credit.computeMs() <= wallMs,
                  "credited " + credit.computeMs() + " ms for chunk " + credit.chunkIndex() + " of a job that took "
                      + wallMs + " ms");
            }
          },
          () -> {
            Credits.Standing standing = Credits.leaderboard(grid).get(boaster.workerId());
            assertNotNull(standing, "the boaster was credited");
            // One slot: its leases never overlapped, so all its compute fits in the job's wall time.
            assertTrue(standing.totalComputeMs() <= wallMs + 1, standing + " vs wall " + wallMs + " ms");
          },
          () -> assertTrue(view.getJsonObject("metrics").getDouble("computeTimeMs") <= wallMs + 1, view.encodePrettily()),
          () -> Timelines.assertNoPrivateIds(events),
          () -> Credits.assertLeaderboardAddsUp(grid));
    }
  }

  @Test
  @Timeout(30)
  @DisplayName("joining earns no leaderboard row; an honest job credits each chunk exactly once")
  void joiningIsNotCredit() {
    RawWorker idle = RawWorker.joinIdle(grid, id("idle"), "idle");
    raw.add(idle);
    HeadlessWorker worker = honest("diligent");
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = submit("{\"rowsA\":40,\"colsA\":30,\"colsB\":20,\"chunkRows\":8}");
      JsonObject done = watch.finished(id, JOB_WAIT);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 40, 30, 20);
      assertAll(
          () -> Credits.assertNoCredit(grid, idle.workerId(), idle.name()),
          () -> assertTrue(Credits.leaderboard(grid).containsKey(worker.workerId()), "the worker that computed is on it"),
          () -> Credits.assertEachChunkCreditedOnce(grid, id, 5, 40, 30, 20).values()
              .forEach(c -> assertEquals(worker.workerId(), c.workerId())),
          () -> Credits.assertLeaderboardAddsUp(grid));
    }
  }

  @Test
  @Timeout(30)
  @DisplayName("a cancelled job credits nobody: credit is written only once the product passed its final check")
  void cancelledJobCreditsNobody() throws Exception {
    HeadlessWorker worker = grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), "almost",
        Engines.cpu(1)).withWorkerId(id("almost")).withSlots(2));
    headless.add(worker);
    CompletableFuture<HeadlessWorker.Chunk> held = new CompletableFuture<>();
    worker.behaviour((w, chunk) -> chunk.chunkIndex() == 4 && held.complete(chunk)); // the last chunk is never answered
    try (TestGrid.JobWatch watch = grid.watch(); TestGrid.TimelineWatch events = grid.timelineWatch()) {
      String id = submit("{\"rowsA\":40,\"colsA\":30,\"colsB\":20,\"chunkRows\":8}");
      held.get(JOB_WAIT.toSeconds(), TimeUnit.SECONDS);
      events.awaitCount(id, "done", 4);
      assertEquals(200, grid.delete("/api/jobs/" + id).statusCode());
      assertEquals("cancelled", watch.finished(id, JOB_WAIT).getString("status"));
      assertAll(
          () -> assertEquals(List.of(), Credits.ofJob(grid, id), "no chunk of a cancelled job is credited"),
          () -> Credits.assertNoCredit(grid, worker.workerId(), worker.name()),
          () -> Credits.assertLeaderboardAddsUp(grid));
    }
  }
}

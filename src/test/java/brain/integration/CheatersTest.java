package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.CheatingEngines;
import brain.testing.CheatingEngines.Cheat;
import brain.testing.Credits;
import brain.testing.TestEngines;
import brain.testing.TestGrid;
import brain.testing.Timelines;
import brain.model.WorkerLabel;
import brain.testing.Workers;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import brain.worker.MatrixEngine;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cheaters lose: whatever a cheating worker returns, the job's product is right, the cheater is
 * excluded and earns nothing, and the honest workers are credited exactly once per chunk.
 *
 * <p>Each test has a grid of its own (a fresh SQLite file): the scheduler keeps trust per
 * identity and per address, and every worker here comes from 127.0.0.1, so one test's cheaters
 * must not change how the next test's honest workers are treated.
 */
@Timeout(90)
class CheatersTest {
  private static final Duration JOB_WAIT = Duration.ofSeconds(20);

  private TestGrid grid;

  @BeforeEach
  void start() {
    grid = TestGrid.start();
  }

  @AfterEach
  void stop() {
    if (grid != null) {
      grid.close();
    }
  }

  private static String id(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private HeadlessWorker worker(String workerId, String name, MatrixEngine engine, int slots) {
    return grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), name, engine).withWorkerId(workerId)
        .withSlots(slots));
  }

  private static String label(HeadlessWorker worker) {
    return WorkerLabel.of(worker.workerId());
  }

  private static <T> T within(CompletableFuture<T> future, Duration wait, String what) {
    try {
      return future.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError(what + " within " + wait);
    } catch (Exception e) {
      throw new AssertionError(what + ": " + e, e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Cheat.class)
  @Timeout(60)
  @DisplayName("a cheater beside two honest workers: product right, cheater refused, excluded, never credited")
  void cheaterLoses(Cheat cheat) {
    String tag = cheat.name().toLowerCase().replace('_', '-');
    // The cheater joins first (first in the round robin) and answers at once; the honest workers
    // are a little slower, so the cheater has its chance at many chunks.
    HeadlessWorker cheater = worker(id("cheater-" + tag), "cheater-" + tag, cheat.engine(), 4);
    CompletableFuture<JsonObject> refused = cheater.nextMessage(m -> "refused".equals(m.getString("type")))
        .toCompletionStage().toCompletableFuture();
    HeadlessWorker honest1 = worker(id("honest-" + tag + "-1"), "honest-" + tag + "-1", TestEngines.slowCpu(15), 2);
    HeadlessWorker honest2 = worker(id("honest-" + tag + "-2"), "honest-" + tag + "-2", TestEngines.slowCpu(15), 2);

    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":512,\"colsA\":384,\"colsB\":384,\"chunkRows\":32}");
      JsonObject done = watch.finished(id, JOB_WAIT);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 512, 384, 384);

      JsonObject view = grid.job(id);
      List<JsonObject> events = Timelines.of(grid, id);
      String cheaterLabel = label(cheater);
      assertAll(cheat + ": " + Timelines.describe(events),
          () -> assertEquals(16, view.getInteger("chunksTotal")),
          () -> assertTrue(view.getJsonObject("verification").getBoolean("passed"), view.encodePrettily()),
          () -> {
            JsonObject told = within(refused, Duration.ofSeconds(2), "the cheater was sent a \"refused\" message");
            assertEquals(id, told.getString("jobId"), told.encode());
            assertNotNull(told.getString("assignmentId"), told.encode());
            assertNotNull(told.getInteger("chunkIndex"), told.encode());
            assertFalse(told.getString("reason", "").isBlank(), "a refusal says why: " + told.encode());
            assertTrue(events.stream().anyMatch(e -> "rejected".equals(e.getString("type"))
                    && told.getInteger("chunkIndex").equals(e.getInteger("chunk")) && cheaterLabel.equals(e.getString("label"))),
                "the refusal is a \"rejected\" event with the cheater's label on chunk " + told.getInteger("chunkIndex"));
          },
          () -> assertFalse(Timelines.ofType(events, "excluded", cheaterLabel).isEmpty(),
              "an \"excluded\" event labelled " + cheaterLabel),
          () -> assertTrue(Timelines.ofType(events, "done", cheaterLabel).isEmpty(), "no result of the cheater accepted"),
          () -> Timelines.assertNoPrivateIds(events),
          () -> Workers.assertExcluded(grid, cheater.workerId(), cheater.name(), cheater.sessionId()),
          () -> Credits.assertNoCredit(grid, cheater.workerId(), cheater.name()),
          () -> {
            Map<Integer, Credits.Credit> credits = Credits.assertEachChunkCreditedOnce(grid, id, 16, 512, 384, 384);
            Set<String> honest = Set.of(honest1.workerId(), honest2.workerId());
            credits.values().forEach(c -> assertTrue(honest.contains(c.workerId()), "credited to an honest worker: " + c));
          },
          () -> Credits.assertLeaderboardAddsUp(grid));
    }
  }

  @Test
  @Timeout(90)
  @DisplayName("six zero-answering identities beside one honest worker cannot fail a job; none of them earns anything")
  void sybilsCannotFailAJob() {
    List<HeadlessWorker> sybils = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      sybils.add(worker(id("sybil-" + i), "sybil-" + i, Cheat.ZEROS.engine(), 2));
    }
    HeadlessWorker honest = worker(id("honest-sybil"), "honest-among-sybils", Engines.cpu(1), 2);
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":512,\"colsA\":96,\"colsB\":96,\"chunkRows\":16}");
      JsonObject done = watch.finished(id, Duration.ofSeconds(60));
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 512, 96, 96);
      List<JsonObject> events = Timelines.of(grid, id);
      assertAll(Timelines.describe(events),
          () -> assertEquals(32, grid.job(id).getInteger("chunksTotal")),
          () -> {
            for (HeadlessWorker sybil : sybils) {
              Credits.assertNoCredit(grid, sybil.workerId(), sybil.name());
            }
          },
          () -> {
            Map<Integer, Credits.Credit> credits = Credits.assertEachChunkCreditedOnce(grid, id, 32, 512, 96, 96);
            credits.values().forEach(c -> assertEquals(honest.workerId(), c.workerId(), "credited to the honest worker: " + c));
          },
          () -> {
            Set<String> sybilLabels = sybils.stream().map(CheatersTest::label).collect(Collectors.toSet());
            assertTrue(events.stream().noneMatch(e -> "done".equals(e.getString("type"))
                && sybilLabels.contains(e.getString("label"))), "no sybil result accepted");
          },
          () -> Timelines.assertNoPrivateIds(events),
          () -> Credits.assertLeaderboardAddsUp(grid));
    }
  }

  @Test
  @Timeout(90)
  @DisplayName("a lone near-miss cheater cannot make a job loop; when an honest worker joins the job completes right")
  void loneNearMissCheaterDoesNotLoop() {
    HeadlessWorker cheater = worker(id("near-miss"), "near-miss", Cheat.ONE_ELEMENT_OFF.engine(), 2);
    try (TestGrid.JobWatch watch = grid.watch(); Timelines.Feed feed = Timelines.feed(grid, null)) {
      String id = grid.submit("{\"rowsA\":96,\"colsA\":64,\"colsB\":64,\"chunkRows\":8,\"verify\":\"full\"}");
      feed.follow(id);
      Set<String> caught = Set.of("rejected", "verification-failed", "excluded");
      feed.next(e -> caught.contains(e.getString("type")), Duration.ofSeconds(20));
      // Alone, the cheater must not keep the job busy: it waits (nobody eligible) or ends.
      List<JsonObject> alone = feed.awaitQuiet(Duration.ofMillis(1500), Duration.ofSeconds(20));
      JsonObject meanwhile = grid.job(id);
      assertNotEquals("failed", meanwhile.getString("status"),
          "the job failed before an honest worker could join: " + meanwhile.getString("error") + Timelines.describe(alone));

      HeadlessWorker honest = worker(id("honest-late"), "honest-late", Engines.cpu(1), 2);
      JsonObject done = watch.finished(id, JOB_WAIT);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 96, 64, 64);
      List<JsonObject> events = Timelines.of(grid, id);
      assertAll(Timelines.describe(events),
          () -> assertTrue(Timelines.ofType(events, "verification-failed").size() <= 3,
              "at most 3 \"verification-failed\" events"),
          () -> assertTrue(Timelines.ofType(events, "dispatch").size() <= 3 * 12,
              "a bounded number of dispatches for 12 chunks"),
          () -> Credits.assertNoCredit(grid, cheater.workerId(), cheater.name()),
          () -> {
            Map<Integer, Credits.Credit> credits = Credits.assertEachChunkCreditedOnce(grid, id, 12, 96, 64, 64);
            credits.values().forEach(c -> assertEquals(honest.workerId(), c.workerId(), "credited to the honest worker: " + c));
          },
          () -> Timelines.assertNoPrivateIds(events),
          () -> Timelines.assertNoPrivateIds(feed.seen()),
          () -> assertEquals("full", grid.job(id).getJsonObject("verification").getString("method")),
          () -> Credits.assertLeaderboardAddsUp(grid));
    }
  }

  @Test
  @Timeout(10)
  @DisplayName("the cheating engines really cheat: each answer differs from the honest float32 product")
  void cheatsDifferFromHonestProducts() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    int rows = 8;
    int k = 64;
    int n = 48;
    float[][] a = new float[3][rows * k];
    float[] b = new float[k * n];
    for (float[] slice : a) {
      for (int i = 0; i < slice.length; i++) {
        slice[i] = (float) (random.nextDouble() * 2 - 1);
      }
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) (random.nextDouble() * 2 - 1);
    }
    MatrixEngine honest = Engines.cpu(1);
    for (Cheat cheat : Cheat.values()) {
      MatrixEngine engine = cheat.engine();
      for (float[] slice : a) {
        float[] right = honest.multiply(slice.clone(), rows, k, b, n);
        float[] answer = engine.multiply(slice.clone(), rows, k, b, n);
        assertFalse(java.util.Arrays.equals(right, answer), cheat + " answered the honest product");
      }
    }
    assertEquals(1.0f, CheatingEngines.toBfloat16(1.0f));
    assertEquals(1.0078125f, CheatingEngines.toBfloat16(1.005f)); // 1 + 2^-7: 8 bits of mantissa
    assertEquals(1.0048828f, CheatingEngines.toFloat16(1.005f), 1e-7f); // 1 + 5·2^-10
  }
}

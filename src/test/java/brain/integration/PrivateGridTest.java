package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestGrid;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A private grid (auth.workerKey / BRAIN_WORKER_KEY): only workers that present its key join. */
@Timeout(60)
class PrivateGridTest {
  private static final String KEY = "correct-horse-battery-staple";
  private TestGrid grid;

  @BeforeEach
  void start() {
    grid = TestGrid.start(Map.of("auth.workerKey", KEY));
  }

  @AfterEach
  void stop() {
    grid.close();
  }

  private HeadlessWorker.Options options(String name) {
    return HeadlessWorker.Options.of("127.0.0.1", grid.port(), name, Engines.cpu(1));
  }

  @Test
  @DisplayName("a worker without the key, or with a wrong one, is refused with a clear message; with it, it joins and computes")
  void onlyWorkersWithTheKeyJoin() {
    Throwable none = assertThrows(Throwable.class, () -> TestGrid.awaitOrThrow(
        HeadlessWorker.start(grid.vertx(), grid.vertx().createWebSocketClient(), options("stranger"))));
    assertEquals(403, ((ReplyException) none).failureCode());
    assertTrue(none.getMessage().contains("this grid is private"), none.getMessage());
    assertTrue(none.getMessage().contains("key="), "says how to present the key: " + none.getMessage());

    Throwable wrong = assertThrows(Throwable.class, () -> TestGrid.awaitOrThrow(
        HeadlessWorker.start(grid.vertx(), grid.vertx().createWebSocketClient(), options("guesser").withKey("wrong"))));
    assertEquals(403, ((ReplyException) wrong).failureCode());
    assertTrue(wrong.getMessage().contains("key is wrong"), wrong.getMessage());
    assertEquals(0, new JsonObject(grid.get("/api/health").body()).getInteger("activeWorkers"), "neither joined");

    grid.worker(options("member").withKey(KEY));
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":40,\"colsA\":20,\"colsB\":10,\"chunkRows\":10}");
      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, 40, 20, 10);
    }
  }

  @Test
  @DisplayName("a requestor's token admits a worker to a private grid too (worker --token); a revoked or made-up one does not")
  void aRequestorsTokenAdmitsAWorker() {
    String token = grid.createToken("carol", "requestor");
    Throwable madeUp = assertThrows(Throwable.class, () -> TestGrid.awaitOrThrow(HeadlessWorker.start(grid.vertx(),
        grid.vertx().createWebSocketClient(), options("pretender").withToken("brain_not-a-real-token-at-all"))));
    assertEquals(403, ((ReplyException) madeUp).failureCode());
    grid.worker(options("carols-machine").withToken(token));
    assertEquals(1, new JsonObject(grid.get("/api/health").body()).getInteger("activeWorkers"));
  }
}

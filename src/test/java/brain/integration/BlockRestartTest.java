package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Reference;
import brain.testing.TestEngines;
import brain.testing.TestGrid;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kill -9 in the middle of a 2-D-block job: the restarted server resumes it with the blocks it
 * started with (from the stored chunk rows and count), though the worker present now declares a
 * larger budget that would have cut other blocks; the checkpointed blocks are taken, not computed
 * again, and the product is right.
 */
@Timeout(180)
class BlockRestartTest {
  private static final String BEARER = "Bearer " + TestGrid.ADMIN_TOKEN;
  private final List<Process> processes = new ArrayList<>();
  private Vertx vertx;

  @AfterEach
  void stop() {
    processes.forEach(Process::destroyForcibly);
    if (vertx != null) {
      vertx.close().await();
    }
  }

  @Test
  @DisplayName("a 2-D-block job killed mid-way resumes its own blocks on a worker with another budget, and completes right")
  void blockJobResumes() throws Exception {
    Path dir = Files.createTempDirectory("brain-block-restart");
    int port = RestartTest.freePort();
    Process first = RestartTest.startServer(dir, port, new JsonObject(), processes);
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + port;
    vertx = Vertx.vertx();
    WebSocketClient sockets = vertx.createWebSocketClient();
    CountDownLatch someDone = new CountDownLatch(5);
    HeadlessWorker small = TestGrid.await(HeadlessWorker.deploy(vertx, sockets,
        HeadlessWorker.Options.of("127.0.0.1", port, "small", TestEngines.slowCpu(40)).withSlots(1).withMemory(1 << 20)));
    small.behaviour((w, chunk) -> {
      someDone.countDown();
      return false;
    });
    HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
        .header("content-type", "application/json").header("authorization", BEARER)
        .POST(HttpRequest.BodyPublishers.ofString("{\"rowsA\":600,\"colsA\":512,\"colsB\":900}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, accepted.statusCode(), accepted.body());
    String id = new JsonObject(accepted.body()).getString("id");
    assertTrue(someDone.await(60, TimeUnit.SECONDS), "the job was under way");
    first.destroyForcibly();
    assertTrue(first.waitFor(30, TimeUnit.SECONDS));
    TestGrid.await(small.stop().otherwiseEmpty());

    // 1 MiB: 3 row panels of 200 × 5 column panels of 180; 4 MiB would cut far fewer blocks.
    RestartTest.startServer(dir, port, new JsonObject(), processes);
    TestGrid.await(HeadlessWorker.deploy(vertx, sockets,
        HeadlessWorker.Options.of("127.0.0.1", port, "roomy", Engines.cpu(1)).withMemory(4 << 20)));
    JsonObject view = RestartTest.awaitFinished(vertx, http, base, id, port);
    assertEquals("completed", view.getString("status"), view.encodePrettily());
    Reference.assertJobProduct(path -> RestartTest.bytes(http, base + path), id, 600, 512, 900);
    assertEquals(15, view.getInteger("chunksTotal"), "the blocks it started with");
    List<JsonObject> events = new JsonObject(new String(RestartTest.bytes(http, base + "/api/jobs/" + id + "/timeline"),
        StandardCharsets.UTF_8)).getJsonArray("events").stream().map(JsonObject.class::cast).toList();
    int resumed = brain.testing.Timelines.resumedChunks(events);
    assertTrue(resumed > 0, "blocks accepted before the kill were resumed: " + brain.testing.Timelines.describe(events));
    assertEquals(15 - resumed, brain.testing.Timelines.ofType(events, "dispatch").size(),
        "only the blocks not accepted before the kill were sent out again");
  }
}

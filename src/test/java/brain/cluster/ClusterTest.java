package brain.cluster;

import static org.junit.jupiter.api.Assertions.*;

import brain.BrainServer;
import brain.config.BrainConfig;
import brain.testing.Reference;
import brain.testing.TestGrid;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import com.hazelcast.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scale-out on Hazelcast: one node with the scheduler, one edge node with HTTP and the bridge,
 * both on one PostgreSQL database. A worker connected to the edge computes a job submitted to the edge.
 */
@Timeout(120)
class ClusterTest {
  /** Each node checks tokens itself (node-local AuthVerticle) against the shared database. */
  private static final String BEARER = "Bearer " + TestGrid.ADMIN_TOKEN;

  private final List<Vertx> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    for (Vertx node : nodes) {
      TestGrid.await(node.close().otherwiseEmpty());
    }
  }

  /** The project's cluster.xml, made private to this test run and quick to join. */
  private static Config hazelcast(String clusterName) {
    Config config = ClusterConfig.load();
    config.setClusterName(clusterName);
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.max.join.seconds", "1");
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    return config;
  }

  private Vertx node(String clusterName) {
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1");
    Vertx vertx = TestGrid.await(Vertx.builder().with(options)
        .withClusterManager(new HazelcastClusterManager(hazelcast(clusterName))).buildClustered());
    nodes.add(vertx);
    return vertx;
  }

  @Test
  @DisplayName("a worker on an edge node computes a job submitted to the edge node; the core node schedules it; "
      + "a clustered node on SQLite is refused")
  void edgeNodeServesWorkersAndApi() throws Exception {
    String cluster = "brain-test-" + UUID.randomUUID();
    Path dir = Files.createTempDirectory("brain-cluster");
    BrainConfig base = new BrainConfig(BrainConfig.defaults()).with("http.port", 0).with("http.host", "127.0.0.1")
        .with("storage.dir", dir.resolve("data").toString())
        .with("db.url", brain.testing.Postgres.freshDatabaseUrl()).with("auth.adminToken", TestGrid.ADMIN_TOKEN);
    Vertx coreNode = node(cluster);
    Throwable refused = assertThrows(Throwable.class, () -> TestGrid.await(BrainServer.start(coreNode,
        base.with("db.url", "jdbc:sqlite:" + dir.resolve("brain.db")), BrainServer.Role.ALL)));
    assertTrue(String.valueOf(refused.getMessage()).contains("BRAIN_DB_URL=jdbc:postgresql://"), refused.getMessage());
    assertFalse(Files.exists(dir.resolve("brain.db")), "refused before anything opened the file");
    BrainServer core = TestGrid.await(BrainServer.start(coreNode, base, BrainServer.Role.ALL));
    Vertx edgeNode = node(cluster);
    BrainServer edge = TestGrid.await(BrainServer.start(edgeNode, base, BrainServer.Role.EDGE));
    assertNotEquals(core.port(), edge.port());

    HeadlessWorker worker = TestGrid.await(HeadlessWorker.deploy(edgeNode, edgeNode.createWebSocketClient(),
        HeadlessWorker.Options.of("127.0.0.1", edge.port(), "on-the-edge", Engines.cpu(1))));
    HttpClient http = HttpClient.newHttpClient();
    String edgeUrl = "http://127.0.0.1:" + edge.port();
    HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(URI.create(edgeUrl + "/api/jobs"))
        .header("content-type", "application/json").header("authorization", BEARER).POST(HttpRequest.BodyPublishers.ofString("{\"rowsA\":90,\"colsA\":70,\"colsB\":50,\"chunkRows\":10}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, accepted.statusCode(), accepted.body());
    String id = new JsonObject(accepted.body()).getString("id");

    // The job feed is cluster-wide: listen on the edge node's event bus.
    JsonObject done = TestGrid.await(io.vertx.core.Future.<JsonObject>future(promise -> {
      edgeNode.eventBus().<JsonObject>consumer(brain.bus.Addresses.UI_JOBS, m -> {
        if (id.equals(m.body().getString("id")) && m.body().getString("status").equals("completed")) {
          promise.tryComplete(m.body());
        }
      }).completion().onSuccess(v -> {
        JsonObject now = new JsonObject(http.sendAsync(HttpRequest.newBuilder(URI.create(edgeUrl + "/api/jobs/" + id))
            .header("authorization", BEARER).build(), HttpResponse.BodyHandlers.ofString()).join().body());
        if (now.getString("status").equals("completed")) {
          promise.tryComplete(now);
        }
      });
    }));
    assertEquals("completed", done.getString("status"));
    assertEquals(9, worker.chunksDone(), "the edge's worker computed every chunk");
    Reference.assertJobProduct(path -> http.sendAsync(HttpRequest.newBuilder(URI.create(edgeUrl + path))
        .header("authorization", BEARER).build(),
        HttpResponse.BodyHandlers.ofByteArray()).join().body(), id, 90, 70, 50);
    String coreWorkers = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + core.port() + "/api/workers"))
        .build(), HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(coreWorkers.contains("on-the-edge"), "the core node's pool holds the edge's worker: " + coreWorkers);
  }
}

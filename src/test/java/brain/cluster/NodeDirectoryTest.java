package brain.cluster;

import static org.junit.jupiter.api.Assertions.*;

import brain.bus.Addresses;
import brain.testing.TestGrid;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A node's entry in the directory, on a single node; the public URL a node gives itself. */
class NodeDirectoryTest {

  @Test
  @DisplayName("the public URL: BRAIN_PUBLIC_URL, else the HTTP host, else for a wildcard the cluster host or localhost")
  void publicUrl() {
    assertEquals("https://grid.example.org", NodeDirectory.publicUrl(" https://grid.example.org/ ", "0.0.0.0", "10.0.0.1", 3001));
    assertEquals("http://127.0.0.1:3001", NodeDirectory.publicUrl("", "127.0.0.1", "10.0.0.1", 3001));
    assertEquals("http://10.0.0.1:3001", NodeDirectory.publicUrl(null, "0.0.0.0", "10.0.0.1", 3001));
    assertEquals("http://localhost:3001", NodeDirectory.publicUrl(null, "0.0.0.0", null, 3001));
    assertEquals("http://[::1]:3001", NodeDirectory.publicUrl(null, "::1", null, 3001));
  }

  @Test
  @DisplayName("a single node lists itself (id local, its URL, sockets, workers, scheduler) and gives workers no node list")
  void singleNode() {
    Vertx vertx = Vertx.vertx();
    try {
      NodeDirectory directory = new NodeDirectory(new NodeDirectory.Local() {
        @Override
        public int sockets() {
          return 3;
        }

        @Override
        public int workers() {
          return 2;
        }

        @Override
        public boolean scheduler() {
          return true;
        }
      }, "http://127.0.0.1:3001");
      TestGrid.await(vertx.deployVerticle(directory));
      JsonObject reply = TestGrid.await(vertx.eventBus().<JsonObject>request(Addresses.CLUSTER_NODES, new JsonObject(),
          new DeliveryOptions().setLocalOnly(true))).body();
      JsonArray nodes = reply.getJsonArray("nodes");
      assertEquals(1, nodes.size(), reply.encodePrettily());
      JsonObject self = nodes.getJsonObject(0);
      assertEquals(NodeId.LOCAL, self.getString("id"));
      assertEquals("http://127.0.0.1:3001", self.getString("url"));
      assertEquals(3, self.getInteger("sockets"));
      assertEquals(2, self.getInteger("workers"));
      assertTrue(self.getBoolean("scheduler"));
      assertNotNull(java.time.Instant.parse(self.getString("upSince")));
      assertEquals(new JsonArray().add("http://127.0.0.1:3001"), NodeDirectory.urls(vertx));
      assertEquals(new JsonArray(), NodeDirectory.withNodes(vertx, new JsonObject()).getJsonArray("nodes"),
          "a single node's workers keep the address they used");

      TestGrid.await(directory.leave());
      assertEquals(new JsonArray(), NodeDirectory.urls(vertx), "a node that leaves is no longer listed");
    } finally {
      TestGrid.await(vertx.close());
    }
  }
}

package brain.cluster;

import static org.junit.jupiter.api.Assertions.*;

import com.hazelcast.config.Config;
import com.hazelcast.config.NetworkConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The Hazelcast settings a node gets from its file and environment. */
class ClusterConfigTest {

  @Test
  @DisplayName("no environment: the packed file, a cluster name derived from the database URL")
  void defaults() {
    Config config = ClusterConfig.load(Map.of(), "jdbc:postgresql://db/brain");
    assertTrue(config.getClusterName().matches("distributed-brain-[0-9a-f]{12}"), config.getClusterName());
    assertEquals(config.getClusterName(), ClusterConfig.load(Map.of(), "jdbc:postgresql://db/brain").getClusterName(),
        "nodes of one database meet");
    assertNotEquals(config.getClusterName(), ClusterConfig.load(Map.of(), "jdbc:postgresql://db/other").getClusterName(),
        "another grid's nodes don't");
    assertNotNull(config.getMultiMapConfigs().get("__vertx.subs"), "the maps Vert.x needs are there");
  }

  @Test
  @DisplayName("BRAIN_CLUSTER_NAME, _HOST, _PORT and _MEMBERS override the file")
  void environmentOverrides() {
    Config config = ClusterConfig.load(Map.of("BRAIN_CLUSTER_NAME", "grid-a", "BRAIN_CLUSTER_HOST", "127.0.0.1",
        "BRAIN_CLUSTER_PORT", "5801", "BRAIN_CLUSTER_MEMBERS", " 10.0.0.1:5801, node-b:5802 ,"), "jdbc:sqlite:x.db");
    NetworkConfig network = config.getNetworkConfig();
    assertEquals("grid-a", config.getClusterName());
    assertTrue(network.getInterfaces().isEnabled());
    assertEquals(List.of("127.0.0.1"), List.copyOf(network.getInterfaces().getInterfaces()));
    assertEquals("false", config.getProperty("hazelcast.socket.bind.any"), "only the interface given is bound");
    assertEquals(5801, network.getPort());
    assertFalse(network.isPortAutoIncrement(), "exactly the port given");
    assertTrue(network.getJoin().getTcpIpConfig().isEnabled());
    assertEquals(List.of("10.0.0.1:5801", "node-b:5802"), network.getJoin().getTcpIpConfig().getMembers());
    assertFalse(network.getJoin().getMulticastConfig().isEnabled());
    assertFalse(network.getJoin().getAutoDetectionConfig().isEnabled());
    assertEquals("127.0.0.1", ClusterConfig.eventBusHost(Map.of("BRAIN_CLUSTER_HOST", "127.0.0.1")));
  }

  @Test
  @DisplayName("a bad port or host is refused with a message naming the variable")
  void badValues() {
    IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
        () -> ClusterConfig.load(Map.of("BRAIN_CLUSTER_PORT", "57o1"), null));
    assertTrue(port.getMessage().contains("BRAIN_CLUSTER_PORT"), port.getMessage());
    IllegalArgumentException member = assertThrows(IllegalArgumentException.class,
        () -> ClusterConfig.load(Map.of("BRAIN_CLUSTER_MEMBERS", "a:1,b:99999"), null));
    assertTrue(member.getMessage().contains("b:99999"), member.getMessage());
    IllegalArgumentException host = assertThrows(IllegalArgumentException.class,
        () -> ClusterConfig.load(Map.of("BRAIN_CLUSTER_HOST", "no-such-host.invalid"), null));
    assertTrue(host.getMessage().contains("BRAIN_CLUSTER_HOST"), host.getMessage());
  }

  @Test
  @DisplayName("the file: -Dvertx.hazelcast.config, else config/cluster.xml beside the jar, else the packed one")
  void fileLookup(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path beside = dir.resolve("config/cluster.xml");
    Files.createDirectories(beside.getParent());
    String packed = new String(ClusterConfig.class.getClassLoader().getResourceAsStream(ClusterConfig.PACKED).readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8);
    Files.writeString(beside, packed.replace("<cluster-name>distributed-brain</cluster-name>", "<cluster-name>beside</cluster-name>"));
    Path named = dir.resolve("named.xml");
    Files.writeString(named, packed.replace("<cluster-name>distributed-brain</cluster-name>", "<cluster-name>named</cluster-name>"));
    assertEquals("beside", ClusterConfig.file(null, beside).getClusterName());
    assertEquals("named", ClusterConfig.file(named.toString(), beside).getClusterName());
    assertEquals("distributed-brain", ClusterConfig.file(null, dir.resolve("absent.xml")).getClusterName());
    assertEquals("distributed-brain", ClusterConfig.file(null, null).getClusterName());
    assertNull(ClusterConfig.besideJar(), "running from classes, not a jar: no file is looked for (not the working directory's)");
    assertThrows(java.io.UncheckedIOException.class, () -> ClusterConfig.file(dir.resolve("nope.xml").toString(), null));
  }
}

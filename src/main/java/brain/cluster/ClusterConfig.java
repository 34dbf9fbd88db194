package brain.cluster;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import java.io.FileNotFoundException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Hazelcast settings of a node. The file: {@code -Dvertx.hazelcast.config=FILE} (or
 * {@code classpath:NAME}), else {@code config/cluster.xml} beside the jar, else the one packed in
 * the jar; never the working directory's, which would make a node's cluster depend on where it
 * was started. Then the environment overrides the file:
 *
 * <ul>
 *   <li>{@code BRAIN_CLUSTER_NAME}: the cluster name. Without it the name is derived from the
 *       database URL ({@code distributed-brain-} and 12 hex digits of its SHA-256): nodes of one
 *       grid share one database, so they meet, and unrelated grids on one host or network don't.
 *   <li>{@code BRAIN_CLUSTER_HOST}: the interface Hazelcast binds and announces (and the event
 *       bus's host), instead of every interface.
 *   <li>{@code BRAIN_CLUSTER_PORT}: this node's Hazelcast port, exactly (no auto-increment: a
 *       port taken is an error, not a node on a port nobody listed).
 *   <li>{@code BRAIN_CLUSTER_MEMBERS}: comma list of {@code host[:port]}: TCP/IP join with these
 *       members, multicast and auto-detection off.
 * </ul>
 */
public final class ClusterConfig {
  static final String PACKED = "config/cluster.xml";
  private static final System.Logger LOG = System.getLogger(ClusterConfig.class.getName());

  private ClusterConfig() {}

  /** The packed or located file, without environment overrides (tests that build their own). */
  public static Config load() {
    return load(Map.of(), null);
  }

  /** The file, then the environment's overrides; {@code dbUrl} names the default cluster. */
  public static Config load(Map<String, String> env, String dbUrl) {
    Config config = file(System.getProperty("vertx.hazelcast.config"), besideJar());
    apply(config, env, dbUrl);
    return config;
  }

  /** The host the event bus should bind: {@code BRAIN_CLUSTER_HOST}, or null for Vert.x's choice. */
  public static String eventBusHost(Map<String, String> env) {
    return blankToNull(env.get("BRAIN_CLUSTER_HOST"));
  }

  static Config file(String property, Path besideJar) {
    try {
      if (property != null && !property.isBlank()) {
        if (property.startsWith("classpath:")) {
          return new ClasspathXmlConfig(property.substring("classpath:".length()));
        }
        LOG.log(System.Logger.Level.INFO, "Hazelcast settings from " + property + " (vertx.hazelcast.config)");
        return new FileSystemXmlConfig(Path.of(property).toFile());
      }
      if (besideJar != null && Files.isRegularFile(besideJar)) {
        LOG.log(System.Logger.Level.INFO, "Hazelcast settings from " + besideJar + " (beside the jar)");
        return new FileSystemXmlConfig(besideJar.toFile());
      }
      return new ClasspathXmlConfig(PACKED);
    } catch (FileNotFoundException e) {
      throw new UncheckedIOException("no Hazelcast settings file " + property, e);
    }
  }

  /** {@code config/cluster.xml} in the jar's directory; null when running from classes (no jar). */
  static Path besideJar() {
    try {
      java.security.CodeSource source = ClusterConfig.class.getProtectionDomain().getCodeSource();
      if (source == null) {
        return null;
      }
      Path location = Path.of(source.getLocation().toURI());
      return Files.isRegularFile(location) ? location.resolveSibling(PACKED) : null;
    } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
      return null;
    }
  }

  static void apply(Config config, Map<String, String> env, String dbUrl) {
    String name = blankToNull(env.get("BRAIN_CLUSTER_NAME"));
    config.setClusterName(name != null ? name : defaultName(dbUrl));
    NetworkConfig network = config.getNetworkConfig();
    String host = blankToNull(env.get("BRAIN_CLUSTER_HOST"));
    if (host != null) {
      String ip = ip(host);
      network.getInterfaces().setEnabled(true).clear().addInterface(ip);
      network.setPublicAddress(null);
      config.setProperty("hazelcast.socket.bind.any", "false");
    }
    String port = blankToNull(env.get("BRAIN_CLUSTER_PORT"));
    if (port != null) {
      network.setPort(number(port, "BRAIN_CLUSTER_PORT")).setPortAutoIncrement(false);
    }
    String members = blankToNull(env.get("BRAIN_CLUSTER_MEMBERS"));
    if (members != null) {
      List<String> list = Arrays.stream(members.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
      for (String member : list) {
        int colon = member.lastIndexOf(':');
        if (colon > 0 && !member.endsWith("]")) {
          number(member.substring(colon + 1), "BRAIN_CLUSTER_MEMBERS (" + member + ")");
        }
      }
      JoinConfig join = network.getJoin();
      join.getMulticastConfig().setEnabled(false);
      join.getAutoDetectionConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true).setMembers(list);
    }
  }

  /** {@code distributed-brain-} and 12 hex digits of the database URL's SHA-256. */
  static String defaultName(String dbUrl) {
    if (dbUrl == null || dbUrl.isBlank()) {
      return "distributed-brain";
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(dbUrl.trim().getBytes(StandardCharsets.UTF_8));
      return "distributed-brain-" + HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String ip(String host) {
    try {
      return InetAddress.getByName(host).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("BRAIN_CLUSTER_HOST '" + host + "' is not a known host or address");
    }
  }

  private static int number(String text, String what) {
    try {
      int port = Integer.parseInt(text.trim());
      if (port < 1 || port > 65535) {
        throw new NumberFormatException();
      }
      return port;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": '" + text + "' is not a port (1 to 65535)");
    }
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}

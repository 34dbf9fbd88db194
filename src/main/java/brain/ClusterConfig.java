package brain;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import java.io.FileNotFoundException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hazelcast settings: {@code -Dvertx.hazelcast.config=FILE}, else config/cluster.xml beside the jar, else the packed one. */
public final class ClusterConfig {
  private static final String PACKED = "config/cluster.xml";

  private ClusterConfig() {}

  public static Config load() {
    String property = System.getProperty("vertx.hazelcast.config");
    Path file = property != null ? Path.of(property) : Path.of(PACKED);
    try {
      return Files.isRegularFile(file) ? new FileSystemXmlConfig(file.toFile()) : new ClasspathXmlConfig(PACKED);
    } catch (FileNotFoundException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package brain.cluster;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The real command refuses a clustered node on SQLite, before it joins the cluster or opens the file. */
@Timeout(120)
class ClusterDatabaseTest {
  @Test
  @DisplayName("serve --cluster with an SQLite BRAIN_DB_URL exits 2, saying why and to use PostgreSQL; the file is never created")
  void clusteredSqliteIsRefused() throws Exception {
    Path dir = Files.createTempDirectory("brain-cluster-sqlite");
    Path db = dir.resolve("brain.db");
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "brain.Main", "serve", "--cluster", "--port", "0")
        .directory(dir.toFile()).redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
    builder.environment().put("BRAIN_DB_URL", "jdbc:sqlite:" + db);
    Process process = builder.start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the command ends by itself");
    String err = Files.readString(dir.resolve("err.txt"));
    assertEquals(2, process.exitValue(), err);
    for (String said : List.of("cannot use the SQLite database jdbc:sqlite:" + db, "SQLite is a file on one machine",
        "BRAIN_DB_URL=jdbc:postgresql://")) {
      assertTrue(err.contains(said), "stderr says \"" + said + "\": " + err);
    }
    assertFalse(Files.exists(db), "nothing opened the database");
    assertFalse(Files.readString(dir.resolve("out.txt")).contains("listening"));
  }
}

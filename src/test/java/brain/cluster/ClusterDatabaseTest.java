package brain.cluster;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster's database: the real command refuses a clustered node on SQLite, before it joins the
 * cluster or opens the file; nodes starting together on one new PostgreSQL database share it cleanly.
 */
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

  @Test
  @DisplayName("two nodes starting at once on one new PostgreSQL database: migrated once, one admin token, printed once, "
      + "valid on both")
  void nodesStartingTogetherShareOneAdminToken() throws Exception {
    String db = brain.testing.Postgres.freshDatabaseUrl();
    Path dir = Files.createTempDirectory("brain-shared-db");
    brain.config.BrainConfig config = new brain.config.BrainConfig(brain.config.BrainConfig.defaults())
        .with("http.port", 0).with("http.host", "127.0.0.1").with("db.url", db)
        .with("storage.dir", dir.resolve("data").toString()).with("auth.adminToken", "");
    List<io.vertx.core.Vertx> nodes = List.of(io.vertx.core.Vertx.vertx(), io.vertx.core.Vertx.vertx());
    try {
      List<io.vertx.core.Future<brain.BrainServer>> starting = nodes.stream()
          .map(node -> brain.BrainServer.start(node, config)).toList();
      brain.testing.TestGrid.await(io.vertx.core.Future.all(starting));
      List<String> printed = starting.stream().flatMap(f -> f.result().dashboardLine().stream()).toList();
      assertEquals(1, printed.size(), "exactly one node made and printed the admin token: " + printed);
      String token = printed.get(0).substring(printed.get(0).indexOf("?token=") + "?token=".length());
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      for (io.vertx.core.Future<brain.BrainServer> node : starting) {
        java.net.http.HttpResponse<String> tokens = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + node.result().port() + "/api/tokens"))
            .header("authorization", "Bearer " + token).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, tokens.statusCode(), tokens.body());
      }
      try (java.sql.Connection c = java.sql.DriverManager.getConnection(db);
           java.sql.ResultSet rows = c.createStatement().executeQuery(
               "SELECT (SELECT COUNT(*) - COUNT(DISTINCT version) FROM schema_version), "
                   + "(SELECT COUNT(*) FROM tokens WHERE role = 'admin')")) {
        rows.next();
        assertEquals(0, rows.getInt(1), "each migration recorded once");
        assertEquals(1, rows.getInt(2));
      }
    } finally {
      for (io.vertx.core.Vertx node : nodes) {
        brain.testing.TestGrid.await(node.close());
      }
    }
  }
}

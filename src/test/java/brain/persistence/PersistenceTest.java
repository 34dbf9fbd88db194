package brain.persistence;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The persistence contract on a real SQLite file (in a folder the verticle creates), plus SQLite's own setup. */
class PersistenceTest extends PersistenceContract {
  @Override
  String freshDatabase() throws Exception {
    return "jdbc:sqlite:" + Files.createTempDirectory("brain-db").resolve("sub/folder/brain.db");
  }

  @Test
  @DisplayName("the file is created with its folders, in WAL mode")
  void fileAndMode() throws Exception {
    assertTrue(Files.exists(Path.of(url.substring("jdbc:sqlite:".length()))));
    try (Connection db = DriverManager.getConnection(url);
         ResultSet mode = db.createStatement().executeQuery("PRAGMA journal_mode")) {
      mode.next();
      assertEquals("wal", mode.getString(1));
    }
  }
}

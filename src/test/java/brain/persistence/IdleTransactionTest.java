package brain.persistence;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Postgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bound {@link Dialect#prepare(String, long)} puts on a real PostgreSQL session: a
 * transaction left open (its process paused) is ended by the server and its locks released, so
 * another session can take them.
 */
@Timeout(30)
class IdleTransactionTest {
  @Test
  @DisplayName("a transaction idle past the bound is ended by the server; the row it locked is free for another session")
  void pausedTransactionLetsGo() throws Exception {
    String url = Dialect.POSTGRESQL.prepare(Postgres.freshDatabaseUrl(), 300);
    try (Connection setup = DriverManager.getConnection(url); Statement s = setup.createStatement()) {
      s.execute("CREATE TABLE lease (id INTEGER PRIMARY KEY, fence BIGINT)");
      s.execute("INSERT INTO lease VALUES (1, 0)");
      try (ResultSet shown = s.executeQuery("SHOW idle_in_transaction_session_timeout")) {
        assertTrue(shown.next());
        assertEquals("300ms", shown.getString(1));
      }
    }
    try (Connection paused = DriverManager.getConnection(url); Connection other = DriverManager.getConnection(url)) {
      paused.setAutoCommit(false);
      paused.createStatement().executeUpdate("UPDATE lease SET fence = fence WHERE id = 1"); // holds the row's lock
      Thread.sleep(1000); // the holder "paused" past the bound: there is no event to wait for
      other.createStatement().execute("SET lock_timeout = 5000");
      assertEquals(1, other.createStatement().executeUpdate("UPDATE lease SET fence = 1 WHERE id = 1"),
          "the other session took the row: the paused one's lock is gone");
      SQLException ended = assertThrows(SQLException.class, () -> paused.createStatement().executeUpdate(
          "UPDATE lease SET fence = 2 WHERE id = 1"));
      assertNotNull(ended.getMessage());
    }
  }
}

package brain.persistence;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What differs between SQLite and PostgreSQL, and what a log line may show of a URL. */
class DialectTest {
  @Test
  @DisplayName("the dialect comes from the URL; another database is refused naming the two forms")
  void chosenFromTheUrl() {
    assertEquals(Dialect.SQLITE, Dialect.of("jdbc:sqlite:data/brain.db"));
    assertEquals(Dialect.POSTGRESQL, Dialect.of("jdbc:postgresql://db:5432/brain?user=b&password=secret"));
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> Dialect.of("jdbc:mysql://db/brain?password=hunter2"));
    assertTrue(refused.getMessage().contains("jdbc:sqlite:FILE or jdbc:postgresql://"), refused.getMessage());
    assertFalse(refused.getMessage().contains("hunter2"), "no password in the message");
  }

  @Test
  @DisplayName("a password in a URL is masked for the log, wherever it stands")
  void passwordsMasked() {
    assertEquals("jdbc:postgresql://db/brain?user=b&password=***&sslmode=require",
        Dialect.redact("jdbc:postgresql://db/brain?user=b&password=s3cr.t&sslmode=require"));
    assertEquals("jdbc:postgresql://db/brain?PASSWORD=***", Dialect.redact("jdbc:postgresql://db/brain?PASSWORD=abc"));
    assertEquals("jdbc:sqlite:data/brain.db", Dialect.redact("jdbc:sqlite:data/brain.db"));
  }

  @Test
  @DisplayName("migrations: SQLite's as written; PostgreSQL's with BIGINT, DOUBLE PRECISION (once), BYTEA, and jobs' rowid")
  void migrationTypes() {
    List<String> sql = List.of("CREATE TABLE t (a INTEGER NOT NULL, b DOUBLE, c DOUBLE PRECISION, d BLOB, e BIGINT, f TEXT)");
    assertEquals(sql, Dialect.SQLITE.migration(1, sql));
    List<String> pg = Dialect.POSTGRESQL.migration(1, sql);
    assertEquals("CREATE TABLE t (a BIGINT NOT NULL, b DOUBLE PRECISION, c DOUBLE PRECISION, d BYTEA, e BIGINT, f TEXT)",
        pg.get(0));
    assertEquals(List.of("ALTER TABLE jobs ADD COLUMN rowid BIGSERIAL"), pg.subList(1, pg.size()));
    assertEquals(1, Dialect.POSTGRESQL.migration(6, sql).size(), "the rowid column comes with migration 1 only");
  }

  @Test
  @DisplayName("a clustered node: PostgreSQL passes, SQLite is refused with the reason and what to use")
  void clusterRefusal() {
    assertTrue(Dialect.refusedInCluster("jdbc:postgresql://db/brain").isEmpty());
    String why = Dialect.refusedInCluster("jdbc:sqlite:data/brain.db").orElseThrow();
    assertTrue(why.contains("SQLite is a file on one machine") && why.contains("BRAIN_DB_URL=jdbc:postgresql://"), why);
    assertTrue(Dialect.refusedInCluster("jdbc:h2:mem:x").orElseThrow().contains("unsupported database URL"));
  }

  @Test
  @DisplayName("PostgreSQL URLs get a server-side bound on idle transactions, beside their parameters; SQLite's and a URL's own options are left")
  void idleTransactionBound() {
    assertEquals("jdbc:postgresql://db/brain?options=-c%20idle_in_transaction_session_timeout%3D5000",
        Dialect.POSTGRESQL.prepare("jdbc:postgresql://db/brain", 5000));
    assertEquals("jdbc:postgresql://db/brain?user=b&options=-c%20idle_in_transaction_session_timeout%3D2000",
        Dialect.POSTGRESQL.prepare("jdbc:postgresql://db/brain?user=b", 2000));
    assertEquals("jdbc:postgresql://db/brain?options=-c%20search_path%3Dx",
        Dialect.POSTGRESQL.prepare("jdbc:postgresql://db/brain?options=-c%20search_path%3Dx", 2000));
    assertFalse(Dialect.SQLITE.prepare("jdbc:sqlite::memory:", 2000).contains("idle_in_transaction"));
  }
}

package brain.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fresh databases on the throwaway PostgreSQL that {@code scripts/test} (through
 * {@code scripts/with-postgres}) starts and names in {@code BRAIN_TEST_PG_URL}. Without that
 * variable nothing is started here: tests that need PostgreSQL fail, saying how to get one, so CI
 * can never skip them silently.
 */
public final class Postgres {
  public static final String ENV = "BRAIN_TEST_PG_URL";
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private Postgres() {}

  /** The server's URL (its {@code postgres} database), e.g. {@code jdbc:postgresql://127.0.0.1:PORT/postgres?user=brain}. */
  public static String serverUrl() {
    String url = System.getenv(ENV);
    if (url == null || url.isBlank()) {
      throw new IllegalStateException(ENV + " is not set: this test needs PostgreSQL. Run it through scripts/test, or "
          + "scripts/with-postgres mvn -o test -Dtest=..., which start a throwaway one; or point " + ENV
          + " at a server of your own (jdbc:postgresql://127.0.0.1:5432/postgres?user=...) whose user may CREATE DATABASE");
    }
    return url;
  }

  /**
   * Creates a new empty database with a unique name ({@code brain_test_<pid>_<ms>_<n>}) on that
   * server and returns its JDBC URL (same host, port and parameters). They are not dropped: the
   * throwaway server goes with its folder; on a server of your own, drop them when done. Blocking:
   * call it from the test thread, not an event loop.
   */
  public static String freshDatabaseUrl() {
    String server = serverUrl();
    String name = "brain_test_" + ProcessHandle.current().pid() + "_" + System.currentTimeMillis() + "_"
        + COUNTER.incrementAndGet();
    try (Connection c = DriverManager.getConnection(server); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create a test database on " + server + ": " + e.getMessage(), e);
    }
    return withDatabase(server, name);
  }

  /** The URL with its database name replaced: jdbc:postgresql://host:port/NAME?params. */
  static String withDatabase(String url, String name) {
    int hostStart = url.indexOf("//") + 2;
    int slash = url.indexOf('/', hostStart);
    int query = url.indexOf('?', hostStart);
    String hostPort = url.substring(0, slash < 0 ? (query < 0 ? url.length() : query) : slash);
    String params = query < 0 ? "" : url.substring(query);
    return hostPort + "/" + name + params;
  }
}

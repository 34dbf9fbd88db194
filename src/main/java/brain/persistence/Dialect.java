package brain.persistence;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Everything that differs between the two databases, in one place; the statements of
 * {@link SqlQueries} are otherwise the same on both. SQLite (a file) is the embedded default;
 * PostgreSQL is the database nodes of a cluster share. What differs:
 * <ul>
 *   <li>column types in migrations: SQLite's INTEGER is 64-bit and it has BLOB and DOUBLE;
 *       PostgreSQL gets BIGINT (epoch ms, seeds and byte counts overflow 32 bits), BYTEA and
 *       DOUBLE PRECISION;</li>
 *   <li>SQLite gives every table an insertion-order {@code rowid}, which job lists use to order
 *       jobs created in the same millisecond; PostgreSQL's {@code jobs} gets it as a real column;</li>
 *   <li>a write transaction: SQLite's {@code BEGIN IMMEDIATE} takes the file's one write lock at
 *       once; on PostgreSQL the same meaning is a transaction-scoped advisory lock, so quota checks,
 *       credit grants and migrations of several nodes on one database run one at a time;</li>
 *   <li>a text field of a JSON column: {@code json_extract} against {@code ->>};</li>
 *   <li>the connection URL: pragmas and WAL for SQLite only ({@link DatabaseUrl}).</li>
 * </ul>
 * Both use one writer connection per node: job updates from the scheduler must be applied in the
 * order they were sent (running before completed), which one connection guarantees.
 */
public enum Dialect {
  SQLITE(List.of("BEGIN IMMEDIATE"), 2),
  /** The advisory lock's key: any constant every node agrees on ("brain" in ASCII). */
  POSTGRESQL(List.of("BEGIN", "SELECT 1 AS locked FROM pg_advisory_xact_lock(422825781614)"), 4);

  private static final Pattern INTEGER = Pattern.compile("\\bINTEGER\\b");
  private static final Pattern DOUBLE = Pattern.compile("\\bDOUBLE\\b(?!\\s+PRECISION)");
  private static final Pattern BLOB = Pattern.compile("\\bBLOB\\b");
  private static final Pattern PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");

  private final List<String> beginWrite;
  private final int readers;

  Dialect(List<String> beginWrite, int readers) {
    this.beginWrite = beginWrite;
    this.readers = readers;
  }

  /** The dialect of a JDBC URL; anything but SQLite and PostgreSQL is refused with the forms we take. */
  public static Dialect of(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:sqlite:")) {
      return SQLITE;
    }
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      return POSTGRESQL;
    }
    throw new IllegalArgumentException("unsupported database URL " + redact(jdbcUrl)
        + ": use jdbc:sqlite:FILE or jdbc:postgresql://HOST:PORT/DATABASE?user=...&password=...");
  }

  /**
   * Why a node of a cluster may not use this database, or empty. Every node runs its own
   * persistence on the cluster's database, so SQLite (a file on one machine) is refused, and so
   * is a URL of neither kind.
   */
  public static java.util.Optional<String> refusedInCluster(String jdbcUrl) {
    Dialect dialect;
    try {
      dialect = of(jdbcUrl);
    } catch (IllegalArgumentException e) {
      return java.util.Optional.of(e.getMessage());
    }
    if (dialect != SQLITE) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of("a cluster cannot use the SQLite database " + jdbcUrl + ": SQLite is a file on one "
        + "machine, and every node of a cluster writes to the grid's database, so each node would keep its own "
        + "(jobs, tokens and credits split between them) or they would corrupt a shared file. Give every node one "
        + "PostgreSQL database: BRAIN_DB_URL=jdbc:postgresql://HOST:5432/DATABASE?user=USER&password=PASSWORD "
        + "(or db.url in the config); SQLite is for a single node without --cluster.");
  }

  /** The URL as given to the driver: SQLite's gets its folder created and our pragmas. */
  public String prepare(String jdbcUrl) {
    return this == SQLITE ? DatabaseUrl.prepare(jdbcUrl) : jdbcUrl;
  }

  /**
   * {@link #prepare}, and on PostgreSQL a server-side bound on a transaction left open: a session
   * idle inside a transaction for {@code idleInTransactionMs} is ended by the server, its locks
   * released. A node paused (SIGSTOP, a stalled VM) between a fenced write's statements holds the
   * scheduler_lease row's lock; without this bound no other node could take the lease or write
   * until it woke. Left alone when the URL sets {@code options} itself.
   */
  public String prepare(String jdbcUrl, long idleInTransactionMs) {
    if (this != POSTGRESQL || jdbcUrl.contains("options=")) {
      return prepare(jdbcUrl);
    }
    return jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "options=-c%20idle_in_transaction_session_timeout%3D"
        + idleInTransactionMs;
  }

  /** The URL fit for a log line: a password parameter is masked. */
  public static String redact(String jdbcUrl) {
    return PASSWORD.matcher(jdbcUrl).replaceAll("$1***");
  }

  /** Statements that open a write transaction holding the database's write lock. */
  List<String> beginWrite() {
    return beginWrite;
  }

  /** Connections of the read pool (SQLite's WAL lets a few readers run beside the one writer). */
  public int readers() {
    return readers;
  }

  /** Migration {@code number}'s statements (written for SQLite, or portable) as this database runs them. */
  List<String> migration(int number, List<String> statements) {
    if (this == SQLITE) {
      return statements;
    }
    List<String> out = new ArrayList<>();
    for (String sql : statements) {
      String typed = INTEGER.matcher(sql).replaceAll("BIGINT");
      typed = DOUBLE.matcher(typed).replaceAll("DOUBLE PRECISION");
      out.add(BLOB.matcher(typed).replaceAll("BYTEA"));
    }
    if (number == 1) {
      out.add("ALTER TABLE jobs ADD COLUMN rowid BIGSERIAL");
    }
    return out;
  }

  /** The text value of a top-level JSON field of a column holding JSON text. */
  String jsonText(String column, String field) {
    return this == SQLITE ? "json_extract(" + column + ", '$." + field + "')" : "(" + column + "::json ->> '" + field + "')";
  }
}

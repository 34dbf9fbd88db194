package brain.persistence;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.function.Function;

/**
 * Transactions by SQL statements on one connection, never through the client's transaction
 * API: vertx-jdbc-client 5.0.10 leaves a pooled connection in autocommit=false after
 * {@code begin()/commit()} (vert-x3/vertx-jdbc-client#356, fixed upstream in #358 but not in
 * any release on Maven Central), so every later plain statement on it would silently never
 * commit. Plain BEGIN/COMMIT keep the driver in autocommit mode (SQLite's and PostgreSQL's alike).
 */
final class Transactions {
  private Transactions() {}

  static <T> Future<T> inTransaction(Pool pool, Dialect dialect, Function<SqlConnection, Future<T>> work) {
    return pool.withConnection(conn -> inTransaction(conn, dialect, work));
  }

  /** A write transaction on this connection, holding the database's write lock ({@link Dialect#beginWrite}). */
  static <T> Future<T> inTransaction(SqlConnection conn, Dialect dialect, Function<SqlConnection, Future<T>> work) {
    Future<?> begun = Future.succeededFuture();
    for (String sql : dialect.beginWrite()) {
      begun = begun.compose(v -> conn.query(sql).execute());
    }
    return begun.compose(v -> work.apply(conn)
            .compose(result -> conn.query("COMMIT").execute().map(result)))
        .recover(err -> conn.query("ROLLBACK").execute().transform(ignored -> Future.<T>failedFuture(err)));
  }
}

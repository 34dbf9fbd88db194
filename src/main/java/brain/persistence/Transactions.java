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
 * commit. SQLite's own BEGIN/COMMIT keep the driver in autocommit mode.
 */
final class Transactions {
  private Transactions() {}

  static <T> Future<T> inTransaction(Pool pool, Function<SqlConnection, Future<T>> work) {
    return pool.withConnection(conn -> conn.query("BEGIN IMMEDIATE").execute()
        .compose(begun -> work.apply(conn)
            .compose(result -> conn.query("COMMIT").execute().map(result))
            .recover(err -> conn.query("ROLLBACK").execute().transform(ignored -> Future.<T>failedFuture(err)))));
  }
}

package brain.persistence;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * Creates the schema on first start and applies the migrations a database has not had yet, each
 * in one write transaction (SQL BEGIN/COMMIT: see {@link Transactions} for why not the client's
 * API). The version is read inside that transaction, under the database's write lock, so nodes
 * starting together on one database apply each migration once: the others wait, then find it done.
 */
public final class Schema {
  private Schema() {}

  /** Runs on the writer pool; completes with the schema version reached. */
  public static Future<Integer> migrate(Pool writer, Dialect dialect) {
    return writer.withConnection(conn -> next(conn, dialect));
  }

  /** One step: applies the migration after the recorded version, if any; completes with the version after it. */
  private static Future<Integer> next(SqlConnection conn, Dialect dialect) {
    int[] reached = new int[1];
    return Transactions.inTransaction(conn, dialect, tx -> tx.query(SqlQueries.CREATE_SCHEMA_VERSION).execute()
            .compose(v -> tx.query(SqlQueries.SCHEMA_VERSION).execute())
            .map(rows -> rows.iterator().next().getInteger("version"))
            .compose(current -> {
              reached[0] = current;
              return current >= SqlQueries.MIGRATIONS.size() ? Future.succeededFuture(false) : apply(tx, dialect, current + 1);
            }))
        .compose(applied -> applied ? next(conn, dialect) : Future.succeededFuture(reached[0]));
  }

  private static Future<Boolean> apply(SqlConnection conn, Dialect dialect, int number) {
    List<String> statements = dialect.migration(number, SqlQueries.MIGRATIONS.get(number - 1));
    Future<?> chain = Future.succeededFuture();
    for (String sql : statements) {
      chain = chain.compose(v -> conn.query(sql).execute());
    }
    return chain.compose(v -> conn.preparedQuery(SqlQueries.RECORD_SCHEMA_VERSION).execute(Tuple.of(number)))
        .<Boolean>map(v -> true)
        .recover(err -> Future.failedFuture(
            new IllegalStateException("schema migration " + number + " failed: " + err.getMessage(), err)));
  }
}

package brain.persistence;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * Creates the schema on first start and applies the migrations a database has not had yet, each
 * in one transaction (SQL BEGIN/COMMIT: see {@link Transactions} for why not the client's API).
 */
public final class Schema {
  private Schema() {}

  /** Runs on the writer pool; completes with the schema version reached. */
  public static Future<Integer> migrate(Pool writer) {
    return writer.withConnection(conn -> conn.query(SqlQueries.CREATE_SCHEMA_VERSION).execute()
        .compose(v -> conn.query(SqlQueries.SCHEMA_VERSION).execute())
        .map(rows -> rows.iterator().next().getInteger("version"))
        .compose(current -> applyFrom(conn, current)));
  }

  private static Future<Integer> applyFrom(SqlConnection conn, int current) {
    if (current >= SqlQueries.MIGRATIONS.size()) {
      return Future.succeededFuture(current);
    }
    int next = current + 1;
    List<String> statements = SqlQueries.MIGRATIONS.get(current);
    Future<?> migrated = conn.query("BEGIN IMMEDIATE").execute().compose(begun -> {
      Future<?> chain = Future.succeededFuture();
      for (String sql : statements) {
        chain = chain.compose(v -> conn.query(sql).execute());
      }
      return chain
          .compose(v -> conn.preparedQuery(SqlQueries.RECORD_SCHEMA_VERSION).execute(Tuple.of(next)))
          .compose(v -> conn.query("COMMIT").execute())
          .recover(err -> conn.query("ROLLBACK").execute().transform(ignored -> Future.failedFuture(
              new IllegalStateException("schema migration " + next + " failed: " + err.getMessage(), err))));
    });
    return migrated.compose(v -> applyFrom(conn, next));
  }
}

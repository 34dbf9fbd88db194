package brain;

import brain.config.BrainConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.jdbcclient.JDBCConnectOptions;
import io.vertx.jdbcclient.JDBCPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.concurrent.TimeUnit;

/** A short-lived Vert.x with one JDBC connection to the server's database, migrated. */
final class TokenDatabase implements AutoCloseable {
  private static final long TIMEOUT_S = 60;

  final BrainConfig config;
  private final Vertx vertx;
  private final Pool pool;

  private TokenDatabase(BrainConfig config, Vertx vertx, Pool pool) {
    this.config = config;
    this.vertx = vertx;
    this.pool = pool;
  }

  static TokenDatabase open(BrainConfig config, String url) throws Exception {
    brain.persistence.Dialect dialect = brain.persistence.Dialect.of(url);
    String prepared = dialect.prepare(url);
    Vertx vertx = Vertx.vertx();
    TokenDatabase db = null;
    try {
      Pool pool = JDBCPool.pool(vertx, new JDBCConnectOptions().setJdbcUrl(prepared), new PoolOptions().setMaxSize(1));
      db = new TokenDatabase(config, vertx, pool);
      Future<Integer> migrated = brain.persistence.Schema.migrate(pool, dialect);
      try {
        migrated.await(TIMEOUT_S, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("cannot open the database " + brain.persistence.Dialect.redact(url) + ": " + message(e), e);
      }
      return db;
    } catch (Exception | Error e) {
      if (db != null) {
        db.close();
      } else {
        vertx.close().await(TIMEOUT_S, TimeUnit.SECONDS);
      }
      throw e;
    }
  }

  int update(String sql, Tuple params) throws Exception {
    return pool.preparedQuery(sql).execute(params).await(TIMEOUT_S, TimeUnit.SECONDS).rowCount();
  }

  RowSet<Row> query(String sql, Tuple params) throws Exception {
    return pool.preparedQuery(sql).execute(params).await(TIMEOUT_S, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    // One after the other, from this thread: a future chained on the pool's context would be
    // completed on an event loop that vertx.close() has already shut down.
    try {
      pool.close().await(TIMEOUT_S, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the statements are done; closing the connection cannot lose anything
    }
    try {
      vertx.close().await(TIMEOUT_S, TimeUnit.SECONDS);
    } catch (Exception e) {
      // a short-lived instance: nothing left to save
    }
  }

  private static String message(Throwable e) {
    while (e.getMessage() == null && e.getCause() != null) {
      e = e.getCause();
    }
    return String.valueOf(e.getMessage());
  }
}

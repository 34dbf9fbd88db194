package brain.persistence;

import brain.model.ApiError;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.function.Function;

/**
 * The scheduler's lease row (see {@code brain.election}) and the fence check of every scheduler
 * write. Times are this node's wall clock (epoch ms): the nodes of a cluster keep their clocks in
 * step (NTP); the holder's own margin covers a skew below it (README, "One scheduler").
 */
final class LeaseStore {
  /** The failure code of a write refused for its fence: another scheduler holds the lease now. */
  static final int STALE_FENCE = brain.bus.Addresses.STALE_FENCE_CODE;

  private final Pool writer;
  private final Dialect dialect;

  LeaseStore(Pool writer, Dialect dialect) {
    this.writer = writer;
    this.dialect = dialect;
  }

  /**
   * {holder, fence, leaseMs}: renews the lease when {@code fence} is the holder's own and
   * unexpired, else takes it if it has expired. Answers the row as it is afterwards:
   * {holder, fence, expiresAt, leaseMs, held: whether {@code holder} holds it}.
   */
  Future<JsonObject> claim(JsonObject body) {
    String holder = body.getString("holder");
    long fence = body.getLong("fence", -1L);
    long leaseMs = body.getLong("leaseMs");
    long now = System.currentTimeMillis();
    // Held only when this claim's own statement changed the row: two processes may share a holder
    // name ("local" for every unclustered node), never a fence.
    return writer.withConnection(conn -> conn.preparedQuery(SqlQueries.LEASE_RENEW)
        .execute(Tuple.of(now + leaseMs, leaseMs, holder, fence, now))
        .compose(renewed -> renewed.rowCount() == 1 ? Future.succeededFuture(renewed)
            : conn.preparedQuery(SqlQueries.LEASE_ACQUIRE).execute(Tuple.of(holder, now + leaseMs, leaseMs, now)))
        .compose(changed -> read(conn).map(row -> row.put("held", changed.rowCount() == 1))));
  }

  /** {holder, fence}: lets the lease go at once (on stop), if it is still that one. */
  Future<JsonObject> release(JsonObject body) {
    return writer.preparedQuery(SqlQueries.LEASE_RELEASE).execute(Tuple.of(body.getString("holder"), body.getLong("fence")))
        .map(rows -> new JsonObject().put("released", rows.rowCount() == 1));
  }

  /** The lease row: {holder, fence, expiresAt, leaseMs, expiresInMs}. */
  Future<JsonObject> get(Pool reader) {
    return reader.query(SqlQueries.LEASE_GET).execute().map(LeaseStore::toJson)
        .map(row -> row.put("expiresInMs", Math.max(0, row.getLong("expiresAt") - System.currentTimeMillis())));
  }

  private static Future<JsonObject> read(SqlConnection conn) {
    return conn.query(SqlQueries.LEASE_GET).execute().map(LeaseStore::toJson);
  }

  private static JsonObject toJson(RowSet<Row> rows) {
    Row row = rows.iterator().next();
    return new JsonObject().put("holder", row.getString("holder")).put("fence", row.getLong("fence"))
        .put("expiresAt", row.getLong("expires_at")).put("leaseMs", row.getLong("lease_ms"));
  }

  /**
   * Runs {@code write} in one transaction, behind the fence check when {@code fence} is not null
   * (a scheduler's write): then only while that fence holds an unexpired lease, and otherwise it
   * fails with {@link #STALE_FENCE} having changed nothing.
   */
  <T> Future<T> inTransaction(Long fence, Function<SqlConnection, Future<T>> write) {
    if (fence == null) {
      return Transactions.inTransaction(writer, dialect, write);
    }
    return Transactions.inTransaction(writer, dialect, conn -> conn.preparedQuery(SqlQueries.LEASE_FENCE_CHECK)
        .execute(Tuple.of(fence, System.currentTimeMillis()))
        .compose(held -> held.rowCount() == 1 ? write.apply(conn) : Future.failedFuture(new ApiError(STALE_FENCE,
            "fence " + fence + " no longer holds the scheduler's lease: another scheduler was elected"))));
  }

  /** The fence a message carries in {@link brain.bus.Addresses#HEADER_FENCE}, or null. */
  static Long fenceOf(io.vertx.core.eventbus.Message<?> message) {
    String value = message.headers().get(brain.bus.Addresses.HEADER_FENCE);
    return value == null ? null : Long.valueOf(value);
  }
}

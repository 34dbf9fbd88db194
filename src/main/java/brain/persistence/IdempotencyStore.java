package brain.persistence;

import brain.model.ApiError;
import brain.model.Times;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * The {@code idempotency_keys} table, for {@link PersistenceVerticle}: what a caller's
 * {@code Idempotency-Key} was first used for, so that a retry gets the first answer instead of
 * a second job. Each use of a key is one <em>attempt</em> (a random id): only the attempt that
 * holds the key may attach a job to it ({@link #created}, inside the job insert's transaction),
 * so a submission that arrives late, after its key was taken over or released, is rolled back
 * instead of running as a duplicate.
 */
final class IdempotencyStore {
  /** Keys are kept a day (then swept), as Stripe does. */
  static final long KEEP_MS = 24L * 3600_000L;
  /**
   * An attempt that neither finished nor was released this long ago is taken to be dead (its
   * server stopped mid-request): a retry takes the key over. Taking over a slow attempt that is
   * still alive is safe, only wasted: that attempt's job insert finds the key no longer its own
   * and rolls back, and its client's retry gets the job the taker made. So this is short enough
   * for a client retrying through a rolling restart, not a bound on how long a request may run.
   */
  static final long TAKE_OVER_AFTER_MS = 10_000L;

  private final Pool writer;
  private final Dialect dialect;

  IdempotencyStore(Pool writer, Dialect dialect) {
    this.writer = writer;
    this.dialect = dialect;
  }

  /**
   * {caller, key, fingerprint} → {attempt} when this request now holds the key (go ahead), or
   * {replay: {status, body}} for a finished first request, or {resourceId} when the first one
   * created its job but never stored its answer. Fails 422 when the key was used for another
   * request, 409 while the first is still in flight.
   */
  Future<JsonObject> claim(JsonObject body) {
    String caller = body.getString("caller");
    String key = body.getString("key");
    String fingerprint = body.getString("fingerprint");
    String attempt = UUID.randomUUID().toString();
    long now = System.currentTimeMillis();
    return Transactions.inTransaction(writer, dialect, conn -> conn.preparedQuery(SqlQueries.DELETE_EXPIRED_IDEMPOTENCY_KEY)
        .execute(Tuple.of(caller, key, Times.iso(now - KEEP_MS)))
        .compose(v -> conn.preparedQuery(SqlQueries.CLAIM_IDEMPOTENCY_KEY)
            .execute(Tuple.of(caller, key, fingerprint, attempt, now, Times.iso(now))))
        .compose(inserted -> inserted.rowCount() > 0 ? Future.succeededFuture(new JsonObject().put("attempt", attempt))
            : existing(conn, caller, key, fingerprint, attempt, now)));
  }

  private static Future<JsonObject> existing(SqlConnection conn, String caller, String key, String fingerprint,
      String attempt, long now) {
    return conn.preparedQuery(SqlQueries.GET_IDEMPOTENCY_KEY).execute(Tuple.of(caller, key)).compose(rows -> {
      Row row = rows.iterator().next();
      if (!row.getString("fingerprint").equals(fingerprint)) {
        throw new ApiError(422, "Idempotency-Key '" + key + "' was already used for a different request (another "
            + "method, path or body) in the last 24 hours; use a new key for a new request");
      }
      if (row.getInteger("response_status") != null) {
        return Future.succeededFuture(new JsonObject().put("replay", new JsonObject()
            .put("status", row.getInteger("response_status")).put("body", new JsonObject(row.getString("response_body")))));
      }
      if (row.getString("resource_id") != null) {
        return Future.succeededFuture(new JsonObject().put("resourceId", row.getString("resource_id")));
      }
      if (now - row.getLong("claimed_at") < TAKE_OVER_AFTER_MS) {
        throw ApiError.conflict("a request with Idempotency-Key '" + key + "' is still in progress; "
            + "retry in a few seconds to get its answer");
      }
      return conn.preparedQuery(SqlQueries.TAKE_OVER_IDEMPOTENCY_KEY)
          .execute(Tuple.of(attempt, now, caller, key, row.getString("attempt")))
          .map(taken -> new JsonObject().put("attempt", attempt));
    });
  }

  /**
   * In a job insert's transaction ({caller, key, attempt} as claimed): attaches the job to the
   * key, or fails 409 when this attempt no longer holds it, which rolls the insert back.
   */
  static Future<Void> created(SqlConnection conn, JsonObject idempotency, String resourceId) {
    return conn.preparedQuery(SqlQueries.IDEMPOTENCY_KEY_CREATED).execute(Tuple.of(resourceId,
        idempotency.getString("caller"), idempotency.getString("key"), idempotency.getString("attempt")))
        .compose(updated -> updated.rowCount() > 0 ? Future.succeededFuture() : Future.failedFuture(ApiError.conflict(
            "this request's Idempotency-Key was taken over by a retry; the retry's answer counts")));
  }

  /** {caller, key, attempt, status, body, resourceId?}: the answer a retry will get. */
  Future<Integer> complete(JsonObject body) {
    return writer.preparedQuery(SqlQueries.COMPLETE_IDEMPOTENCY_KEY).execute(Tuple.of(body.getInteger("status"),
        body.getJsonObject("body").encode(), body.getString("resourceId"), body.getString("caller"),
        body.getString("key"), body.getString("attempt"))).map(RowSet::rowCount);
  }

  /** {caller, key, attempt}: the request failed without creating anything; the key is free again. */
  Future<Integer> release(JsonObject body) {
    return writer.preparedQuery(SqlQueries.RELEASE_IDEMPOTENCY_KEY).execute(Tuple.of(body.getString("caller"),
        body.getString("key"), body.getString("attempt"))).map(RowSet::rowCount);
  }

  /** Deletes the keys older than a day; answers how many. */
  Future<Integer> sweep() {
    return writer.preparedQuery(SqlQueries.SWEEP_IDEMPOTENCY_KEYS)
        .execute(Tuple.of(Times.iso(System.currentTimeMillis() - KEEP_MS))).map(RowSet::rowCount);
  }
}

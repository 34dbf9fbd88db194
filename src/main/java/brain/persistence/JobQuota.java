package brain.persistence;

import brain.auth.Quotas;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/**
 * The quotas a requestor's new job is held to that need the database: its active jobs and the
 * bytes its results keep. Run on the writer's connection inside the insert's transaction: the
 * writer is the only connection that inserts jobs, so a burst of parallel submissions is
 * counted one after the other and cannot overshoot.
 */
final class JobQuota {
  private JobQuota() {}

  /** {@code quota}: {maxActiveJobs, maxStoredBytes, resultBytes}; fails with a 429 naming the quota. */
  static Future<Void> check(SqlConnection conn, String submitter, JsonObject quota) {
    long maxActive = quota.getLong(Quotas.ACTIVE_JOBS);
    long maxStored = quota.getLong(Quotas.STORED_BYTES);
    long adding = quota.getLong("resultBytes", 0L);
    return conn.preparedQuery(SqlQueries.ACTIVE_JOBS_OF).execute(Tuple.of(submitter)).compose(active -> {
      long n = active.iterator().next().getLong("n");
      if (n >= maxActive) {
        return Future.failedFuture(Quotas.activeJobsRefusal(n, maxActive));
      }
      return conn.preparedQuery(SqlQueries.STORED_BYTES_OF).execute(Tuple.of(submitter, submitter));
    }).compose(stored -> {
      long bytes = stored.iterator().next().getLong("bytes");
      if (bytes + adding > maxStored) {
        return Future.failedFuture(Quotas.storedBytesRefusal(bytes, adding, maxStored));
      }
      return Future.succeededFuture();
    });
  }
}

package brain.persistence;

import brain.model.Times;
import brain.model.Work;
import brain.model.WorkerLabel;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Contributors: credits for verified work (granted per job, once per chunk), sessions joined,
 * the top of the leaderboard and a worker's standing. Writes go through the single writer
 * connection; reads through the reader pool.
 */
final class LeaderboardStore {
  private final Pool writer;
  private final Pool reader;
  private final Dialect dialect;

  LeaderboardStore(Pool writer, Pool reader, Dialect dialect) {
    this.writer = writer;
    this.reader = reader;
    this.dialect = dialect;
  }

  /**
   * Credits a job's verified chunks, in one transaction: one chunk_credits row per chunk, and
   * each worker's totals. A job is credited whole and once: a repeat (a restart, a replayed
   * message, a failover) finds its rows and changes nothing.
   */
  Future<?> grant(JsonObject body, LeaseStore lease, Long fence) {
    String jobId = body.getString("jobId");
    JsonArray chunks = body.getJsonArray("chunks", new JsonArray());
    if (jobId == null || chunks.isEmpty()) {
      return Future.succeededFuture(new JsonObject().put("granted", 0));
    }
    String now = Times.now();
    List<Tuple> rows = new ArrayList<>();
    java.util.Map<String, double[]> totals = new java.util.LinkedHashMap<>(); // computeMs, tasks, multiplyAdds, sessions
    java.util.Map<String, String> names = new java.util.HashMap<>();
    for (int i = 0; i < chunks.size(); i++) {
      JsonObject c = chunks.getJsonObject(i);
      String workerId = c.getString("workerId");
      rows.add(Tuple.of(jobId, c.getInteger("chunk"), workerId, c.getLong("multiplyAdds"), c.getDouble("computeMs"), now));
      double[] t = totals.computeIfAbsent(workerId, w -> new double[4]);
      t[3] = Math.max(t[3], c.getInteger("sessions", 1));
      t[0] += c.getDouble("computeMs");
      t[1] += 1;
      t[2] += c.getLong("multiplyAdds");
      names.put(workerId, c.getString("name"));
    }
    List<Tuple> workers = new ArrayList<>();
    totals.forEach((workerId, t) -> workers.add(
        Tuple.of(workerId, names.get(workerId), t[0], (long) t[1], (long) t[3], now, (long) t[2])));
    return lease.inTransaction(fence, conn -> conn.preparedQuery(SqlQueries.JOB_CREDITED)
        .execute(Tuple.of(jobId))
        .compose(found -> found.size() > 0 ? Future.succeededFuture(0)
            : conn.preparedQuery(SqlQueries.INSERT_CHUNK_CREDIT).executeBatch(rows)
                .compose(v -> conn.preparedQuery(SqlQueries.CREDIT_WORKER).executeBatch(workers))
                .map(v -> rows.size())))
        .map(granted -> new JsonObject().put("granted", granted));
  }

  /** {joins: [{workerId, name, sessions}]}: counts sessions on existing rows only. */
  Future<?> joined(JsonObject body) {
    JsonArray joins = body.getJsonArray("joins", new JsonArray());
    if (joins.isEmpty()) {
      return Future.succeededFuture(0);
    }
    String now = Times.now();
    List<Tuple> batch = new ArrayList<>();
    for (int i = 0; i < joins.size(); i++) {
      JsonObject join = joins.getJsonObject(i);
      batch.add(Tuple.of(join.getInteger("sessions"), join.getString("name"), now, join.getString("workerId")));
    }
    return writer.preparedQuery(SqlQueries.WORKER_JOINED).executeBatch(batch).map(rows -> batch.size());
  }

  Future<?> top(JsonObject body) {
    int limit = body.getInteger("limit", 10);
    return reader.preparedQuery(SqlQueries.LEADERBOARD_TOP).execute(Tuple.of(limit)).map(rows -> {
      JsonArray entries = new JsonArray();
      int rank = 0;
      for (Row row : rows) {
        entries.add(new JsonObject()
            .put("rank", ++rank)
            .put("label", WorkerLabel.of(row.getString("worker_id")))
            .put("name", row.getString("display_name"))
            .put("gflop", Work.gflop(row.getLong("verified_multiply_adds")))
            .put("totalComputeMs", row.getDouble("total_compute_ms"))
            .put("tasksCompleted", row.getLong("tasks_completed"))
            .put("sessionsJoined", row.getLong("sessions_joined"))
            .put("lastSeen", row.getString("last_seen")));
      }
      return entries;
    });
  }

  Future<?> standing(JsonObject body) {
    JsonArray ids = body.getJsonArray("workerIds", new JsonArray());
    if (ids.isEmpty() || ids.size() > 500) {
      return Future.succeededFuture(new JsonObject());
    }
    return reader.preparedQuery(SqlQueries.leaderboardStanding(ids.size())).execute(Tuple.tuple(ids.getList()))
        .map(rows -> {
          JsonObject standing = new JsonObject();
          rows.forEach(row -> standing.put(row.getString("worker_id"), new JsonObject()
              .put("rank", row.getLong("rank"))
              .put("totalComputeMs", row.getDouble("total_compute_ms"))
              .put("gflop", Work.gflop(row.getLong("verified_multiply_adds")))
              .put("tasksCompleted", row.getLong("tasks_completed"))));
          return standing;
        });
  }
}

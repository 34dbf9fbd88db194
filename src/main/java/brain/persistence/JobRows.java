package brain.persistence;

import brain.model.JobMetrics;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Maps the job view (the REST shape) to rows of {@code jobs} and back: the one place that knows both. */
final class JobRows {
  private JobRows() {}

  /** View field (dotted for nested) → column, for the fields an update may change. */
  private static final Map<String, String> UPDATABLE = new LinkedHashMap<>();

  static {
    UPDATABLE.put("status", "status");
    UPDATABLE.put("startedAt", "started_at");
    UPDATABLE.put("completedAt", "completed_at");
    UPDATABLE.put("chunkRows", "chunk_rows");
    UPDATABLE.put("chunksTotal", "chunks_count");
    UPDATABLE.put("chunksDone", "chunks_done");
    UPDATABLE.put("workersUsed", "workers_used");
    UPDATABLE.put("metrics.totalTimeMs", "total_time_ms");
    UPDATABLE.put("metrics.computeTimeMs", "compute_time_ms");
    UPDATABLE.put("metrics.networkTimeMs", "network_time_ms");
    UPDATABLE.put("metrics.efficiencyRatio", "efficiency_ratio");
    UPDATABLE.put("metrics.bytesTransferred", "bytes_transferred");
    UPDATABLE.put("metrics.throughputMops", "throughput_mops");
    UPDATABLE.put("metrics.avgChunkTimeMs", "avg_chunk_time_ms");
    UPDATABLE.put("metrics.transferTimeMs", "transfer_time_ms");
    UPDATABLE.put("verification.method", "verification_method");
    UPDATABLE.put("verification.passed", "verification_passed");
    UPDATABLE.put("verification.maxAbsError", "verification_max_abs_error");
    UPDATABLE.put("error", "error");
    UPDATABLE.put("timeline", "timeline");
  }

  record Statement(String sql, Tuple params) {}

  static Tuple insert(JsonObject view, JsonObject spec) {
    return Tuple.of(view.getString("id"), view.getInteger("rowsA"), view.getInteger("colsA"), view.getInteger("colsB"),
            view.getString("createdAt"), view.getString("status"), spec.getLong("seed"), spec.getString("verify"))
        .addValue(spec.getInteger("chunkRows"))
        .addValue(spec.encode())
        .addValue(view.getString("replayOf"))
        .addValue(view.getString("submittedBy"))
        .addValue(view.getString("acceptedBy"));
  }

  /** An UPDATE of the columns whose view fields {@code changes} holds; null when it holds none. */
  static Statement update(JsonObject changes) {
    List<String> assignments = new ArrayList<>();
    Tuple params = Tuple.tuple();
    for (Map.Entry<String, String> field : UPDATABLE.entrySet()) {
      String[] path = field.getKey().split("\\.");
      JsonObject holder = path.length == 1 ? changes : changes.getJsonObject(path[0]);
      String name = path[path.length - 1];
      if (holder == null || !holder.containsKey(name)) {
        continue;
      }
      assignments.add(field.getValue() + " = ?");
      params.addValue(toColumn(holder.getValue(name)));
    }
    if (assignments.isEmpty()) {
      return null;
    }
    params.addValue(changes.getString("id"));
    // A job ends once: a final status is written only over a queued or running one.
    String status = changes.getString("status");
    boolean ending = status != null && !status.equals("queued") && !status.equals("running");
    return new Statement("UPDATE jobs SET " + String.join(", ", assignments) + " WHERE id = ?"
        + (ending ? " AND status IN ('queued', 'running')" : ""), params);
  }

  private static Object toColumn(Object value) {
    if (value instanceof Boolean b) {
      return b ? 1 : 0;
    }
    return value;
  }

  static JsonObject toView(Row row) {
    JsonObject view = new JsonObject()
        .put("id", row.getString("id"))
        .put("status", row.getString("status"))
        .put("rowsA", row.getInteger("rows_a"))
        .put("colsA", row.getInteger("cols_a"))
        .put("colsB", row.getInteger("cols_b"))
        .put("seed", row.getLong("seed"))
        .put("verify", row.getString("verify_mode"))
        .put("chunkRows", row.getInteger("chunk_rows"))
        .put("createdAt", row.getString("created_at"))
        .put("startedAt", row.getString("started_at"))
        .put("completedAt", row.getString("completed_at"))
        .put("chunksTotal", row.getInteger("chunks_count"))
        .put("chunksDone", row.getInteger("chunks_done"))
        .put("workersUsed", row.getInteger("workers_used"))
        .put("replayOf", row.getString("replay_of"))
        .put("submittedBy", row.getString("submitted_by"))
        .put("acceptedBy", row.getString("accepted_by"))
        .put("error", row.getString("error"));
    Double total = row.getDouble("total_time_ms");
    JobMetrics metrics = total == null ? JobMetrics.EMPTY : new JobMetrics(total, orZero(row.getDouble("compute_time_ms")),
        orZero(row.getDouble("network_time_ms")), orZero(row.getDouble("efficiency_ratio")),
        row.getLong("bytes_transferred") == null ? 0 : row.getLong("bytes_transferred"),
        orZero(row.getDouble("throughput_mops")), orZero(row.getDouble("avg_chunk_time_ms")),
        orZero(row.getDouble("transfer_time_ms")));
    view.put("metrics", metrics.toJson());
    String method = row.getString("verification_method");
    if (method == null) {
      view.putNull("verification");
    } else {
      Integer passed = row.getInteger("verification_passed");
      view.put("verification", new JsonObject()
          .put("method", method)
          .put("passed", passed != null && passed == 1)
          .put("maxAbsError", orZero(row.getDouble("verification_max_abs_error"))));
    }
    return view;
  }

  private static double orZero(Double value) {
    return value == null ? 0 : value;
  }
}

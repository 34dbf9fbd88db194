package brain.scheduler;

import io.vertx.core.json.JsonObject;

/** The JSON view of a job the scheduler holds: same shape as the stored one, plus the live {@code phase}. */
final class JobView {
  private JobView() {}

  static JsonObject of(RunningJob job) {
    JsonObject view = new JsonObject()
        .put("id", job.id)
        .put("status", job.status.wire())
        .put("phase", job.phase)
        .put("rowsA", job.spec.rowsA())
        .put("colsA", job.spec.colsA())
        .put("colsB", job.spec.colsB())
        .put("seed", job.spec.seed())
        .put("verify", job.spec.verify())
        .put("chunkRows", job.plan == null ? job.spec.chunkRows() : Integer.valueOf(job.plan.chunkRows()))
        .put("blockCols", job.plan == null || !job.plan.blocked() ? null : Integer.valueOf(job.plan.blockCols()))
        .put("bPanelsSent", job.bPanelsSent)
        .put("createdAt", job.createdAt)
        .put("startedAt", job.startedAt)
        .put("completedAt", job.completedAt)
        .put("chunksTotal", job.plan == null ? 0 : job.plan.size())
        .put("chunksDone", job.chunksDone)
        .put("workersUsed", job.workersUsed.size())
        .put("replayOf", job.replayOf)
        .put("submittedBy", job.submittedBy)
        .put("error", job.error)
        .put("scheduledBy", job.scheduledBy)
        .put("chunksByNode", job.chunksByNode())
        .put("metrics", job.metrics().toJson());
    if (job.verification == null) {
      view.putNull("verification");
    } else {
      view.put("verification", job.verification.toJson());
    }
    return view;
  }
}

package brain.scheduler;

import brain.model.ChunkPlan;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;

/** The messages the server sends to a worker's private address (docs/PROTOCOL.md §3). */
final class WorkerMessages {
  /** Bridge envelope around a body: {"type":"rec","address":"…","body":…}, without the address. */
  private static final int ENVELOPE_BYTES = 36;

  private WorkerMessages() {}

  /** A part of B (for a 2-D-block job, of one column panel of B: {@code colStart}, {@code cols} wide). */
  static JsonObject bPart(RunningJob job, JobInputs.Panel panel, JobInputs.BPart part) {
    return new JsonObject()
        .put("type", "b")
        .put("jobId", job.id)
        .put("rows", job.spec.colsA())
        .put("cols", panel.cols())
        .put("colStart", panel.colStart())
        .put("rowStart", part.rowStart())
        .put("rowCount", part.rowCount())
        .put("data", part.data());
  }

  static JsonObject chunk(RunningJob job, int chunkIndex, String assignmentId, long leaseMs) {
    return head(job, chunkIndex, assignmentId, leaseMs).put("a", job.inputs.aSlice(chunkIndex));
  }

  /** What every chunk message says: which lease, which rows, which shape. */
  private static JsonObject head(RunningJob job, int chunkIndex, String assignmentId, long leaseMs) {
    ChunkPlan.Chunk chunk = job.plan.get(chunkIndex);
    return new JsonObject()
        .put("type", "chunk")
        .put("assignmentId", assignmentId)
        .put("jobId", job.id)
        .put("chunkIndex", chunkIndex)
        .put("rowStart", chunk.rowStart())
        .put("rows", chunk.rows())
        .put("colsA", job.spec.colsA())
        .put("colsB", chunk.cols()) // a block's width: that of the B panel it is computed with
        .put("colStart", chunk.colStart())
        .put("leaseMs", leaseMs);
  }

  /**
   * Protocol 2: the chunk names its inputs as data items (id, role, shape, bytes, URL) and where
   * to upload its result; no payload travels on the bus.
   */
  static JsonObject chunkV2(RunningJob job, int chunkIndex, String assignmentId, long leaseMs, String token,
      JobInputs.Item... inputs) {
    ChunkPlan.Chunk chunk = job.plan.get(chunkIndex);
    return head(job, chunkIndex, assignmentId, leaseMs)
        .put("inputs", items(token, inputs))
        .put("upload", "/data/results/" + assignmentId + "?c=" + token + "&job=" + job.id + "&chunk=" + chunkIndex)
        .put("resultBytes", (long) chunk.rows() * chunk.cols() * Float.BYTES);
  }

  /** Data items as a chunk message names them: id, role, shape, size and the URL to fetch them with. */
  static JsonArray items(String token, JobInputs.Item... inputs) {
    JsonArray items = new JsonArray();
    for (JobInputs.Item item : inputs) {
      items.add(new JsonObject().put("id", item.id()).put("role", item.role()).put("rows", item.rows())
          .put("cols", item.cols()).put("bytes", item.bytes()).put("url", "/data/" + item.id() + "?c=" + token));
    }
    return items;
  }

  static JsonObject cancel(Collection<String> assignmentIds) {
    return new JsonObject().put("type", "cancel").put("assignmentIds", new JsonArray(java.util.List.copyOf(assignmentIds)));
  }

  /** A result or failure was refused: no credit, and why. The chunk goes to another worker. */
  static JsonObject refused(Lease lease, String reason) {
    return new JsonObject()
        .put("type", "refused")
        .put("assignmentId", lease.assignmentId)
        .put("jobId", lease.job.id)
        .put("chunkIndex", lease.chunkIndex)
        .put("reason", reason);
  }

  static JsonObject release(String jobId) {
    return new JsonObject().put("type", "release").put("jobId", jobId);
  }

  /** This worker's contribution so far, all sessions of its worker id together, and its rank. */
  static JsonObject stats(JsonObject standing) {
    return new JsonObject()
        .put("type", "stats")
        .put("chunksDone", standing.getLong("tasksCompleted"))
        .put("computeMs", standing.getDouble("totalComputeMs"))
        .put("gflop", standing.getDouble("gflop"))
        .put("rank", standing.getLong("rank"));
  }

  /**
   * Bytes the message takes on the socket, counted without encoding it (the bridge encodes it
   * once, to write it): {@link brain.bus.JsonLength}, which counts a base64 payload by its length.
   */
  static long wireBytes(String address, JsonObject message) {
    return brain.bus.JsonLength.of(message) + address.length() + ENVELOPE_BYTES;
  }
}

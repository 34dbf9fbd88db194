package brain.scheduler;

import brain.model.ChunkPlan;
import brain.model.Float32Codec;
import brain.model.Verification;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;

/**
 * Decodes a result slice and checks it against A and B with the job's secret Freivalds
 * vectors. O(slice): a small one (well under 0.1 ms) is done on the caller's thread, as a hop
 * to another thread would cost more; a large one runs on the compute executor.
 */
final class ResultCheck {
  /** Checks up to this many multiply-adds run on the caller's thread. */
  private static final long INLINE_OPS = 1 << 16;

  /** A decoded slice and the outcome of its check. */
  record Checked(float[] values, Verification verification) {}

  private ResultCheck() {}

  static Future<Checked> run(WorkerExecutor compute, JobInputs inputs, ChunkPlan.Chunk chunk, int colsA, int colsB,
      int vectors, String data) {
    long cost = (long) chunk.rows() * (colsA + colsB) * Math.max(1, vectors);
    if (cost > INLINE_OPS) {
      return compute.executeBlocking(() -> check(inputs, chunk, colsB, data), false);
    }
    try {
      return Future.succeededFuture(check(inputs, chunk, colsB, data));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private static Checked check(JobInputs inputs, ChunkPlan.Chunk chunk, int colsB, String data) {
    float[] values = Float32Codec.fromBase64(data, chunk.rows() * colsB);
    Verification verification = inputs.check() == null ? Verification.skipped()
        : inputs.check().checkSlice(inputs.a(), chunk.rowStart(), chunk.rows(), values);
    return new Checked(values, verification);
  }
}

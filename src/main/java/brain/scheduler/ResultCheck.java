package brain.scheduler;

import brain.model.ChunkPlan;
import brain.model.Float32Codec;
import brain.model.FullCheck;
import brain.model.Verification;
import brain.trust.TrustRegistry;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.security.SecureRandom;

/**
 * Decodes a result slice and checks it against A and B with the job's secret Freivalds
 * vectors, as strictly as the worker's standing asks: more vectors, and some rows recomputed in
 * full (rows the worker cannot predict), for identities without a record. O(slice): a small
 * one (well under 0.1 ms) is done on the caller's thread, as a hop to another thread would cost
 * more; a large one runs on the compute executor.
 */
final class ResultCheck {
  /** Checks up to this many multiply-adds run on the caller's thread. */
  private static final long INLINE_OPS = 1 << 16;

  /** A decoded slice and the outcome of its check. */
  record Checked(float[] values, Verification verification) {}

  /** How hard to look: Freivalds vectors, and rows of the slice recomputed in full. */
  record Strictness(int vectors, int fullRows) {
    static Strictness of(TrustRegistry.Level level, SchedulerSettings settings) {
      if (settings.chunkVectors() == 0) {
        return new Strictness(0, 0); // checks off (benchmarks with workers that do not compute)
      }
      return switch (level) {
        case TRUSTED -> new Strictness(settings.chunkVectors(), 0);
        case PROBATION -> new Strictness(settings.probationVectors(), settings.probationFullRows());
        case SUSPECT -> new Strictness(settings.suspectVectors(), settings.suspectFullRows());
      };
    }
  }

  private static final SecureRandom ROWS = new SecureRandom();

  private ResultCheck() {}

  static Future<Checked> run(WorkerExecutor compute, JobInputs inputs, ChunkPlan.Chunk chunk, int colsA,
      Strictness strictness, java.util.function.Supplier<float[]> decode) {
    JobInputs.Panel panel = inputs.panelOf(chunk);
    long cost = panel.check == null || strictness.vectors() == 0 ? (long) chunk.rows() * chunk.cols()
        : panel.check.multiplyAdds(chunk.rows(), Math.min(strictness.vectors(), panel.check.vectors()))
            + (long) strictness.fullRows() * colsA * chunk.cols();
    if (cost > INLINE_OPS) {
      return compute.executeBlocking(() -> check(inputs, panel, chunk, strictness, decode), false);
    }
    try {
      return Future.succeededFuture(check(inputs, panel, chunk, strictness, decode));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** Protocol 1: a result's base64 payload, decoded where the check runs. */
  static java.util.function.Supplier<float[]> base64(String data, int count) {
    return () -> Float32Codec.fromBase64(data, count);
  }

  /** Protocol 2: an uploaded body of exactly {@code count} little-endian float32 values. */
  static java.util.function.Supplier<float[]> littleEndian(io.vertx.core.buffer.Buffer body, int count) {
    return () -> {
      if (body.length() != count * Float.BYTES) {
        throw new IllegalArgumentException("expected " + count * Float.BYTES + " bytes, got " + body.length());
      }
      float[] values = new float[count];
      java.nio.ByteBuffer.wrap(body.getBytes()).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
      for (float v : values) {
        if (!Float.isFinite(v)) {
          throw new IllegalArgumentException("the result holds a value that is not finite");
        }
      }
      return values;
    };
  }

  /**
   * A block is checked against its own panel of B (C_block against A_panel·B_panel, the grouped
   * check over the block's columns, its error bound over the full k).
   */
  private static Checked check(JobInputs inputs, JobInputs.Panel panel, ChunkPlan.Chunk chunk, Strictness strictness,
      java.util.function.Supplier<float[]> decode) {
    float[] values = decode.get();
    if (panel.check == null || strictness.vectors() == 0) {
      return new Checked(values, Verification.skipped());
    }
    int vectors = Math.min(strictness.vectors(), panel.check().vectors());
    Verification projected = panel.check().checkSlice(inputs.a(), chunk.rowStart(), chunk.rows(), values, vectors);
    if (!projected.passed() || strictness.fullRows() == 0) {
      return new Checked(values, projected);
    }
    Verification full = FullCheck.verifyRows(inputs.a(), panel.b(), chunk.rowStart(), chunk.rows(), values,
        sampleRows(chunk.rowStart(), chunk.rows(), strictness.fullRows()));
    return new Checked(values, full.passed() ? projected : full);
  }

  /** {@code count} distinct rows (absolute) of the slice, drawn on the server: the worker cannot know which. */
  private static int[] sampleRows(int rowStart, int rows, int count) {
    int n = Math.min(rows, count);
    int[] picked = ROWS.ints(rowStart, rowStart + rows).distinct().limit(n).toArray();
    java.util.Arrays.sort(picked);
    return picked;
  }
}

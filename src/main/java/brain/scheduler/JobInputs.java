package brain.scheduler;

import brain.model.ChunkPlan;
import brain.model.Float32Codec;
import brain.model.Freivalds;
import brain.model.InputGenerator;
import brain.model.JobSpec;
import brain.model.Matrix;
import brain.matrix.MatrixFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.security.SecureRandom;
import java.util.SplittableRandom;

/**
 * Everything a running job needs, built once off the event loop: A and B from the seed, the
 * chunk payloads already encoded (so dispatch only sends), B cut into parts that fit the
 * message budget, and the secret vectors of the per-chunk check.
 */
record JobInputs(Matrix a, Matrix b, ChunkPlan plan, String[] aSlices, List<BPart> bParts, Freivalds check) {
  /** The check's vectors must be unpredictable to workers. */
  private static final SecureRandom SEEDS = new SecureRandom();

  /** Rows {@code rowStart ..} of B, encoded. */
  record BPart(int rowStart, int rowCount, String data) {}

  /**
   * Blocking: generates (or, for a job of uploaded matrices, loads from {@code storageDir}) and
   * encodes; call from a worker thread.
   */
  static JobInputs prepare(JobSpec spec, ChunkPlan plan, long bPartBytes, int checkVectors, int groupColumns,
      Path storageDir) {
    Matrix a = spec.fromMatrices() ? MatrixFiles.load(storageDir.resolve(spec.a() + ".f32"), spec.rowsA(), spec.colsA())
        : InputGenerator.a(spec.seed(), spec.rowsA(), spec.colsA());
    Matrix b = spec.fromMatrices() ? MatrixFiles.load(storageDir.resolve(spec.b() + ".f32"), spec.colsA(), spec.colsB())
        : InputGenerator.b(spec.seed(), spec.colsA(), spec.colsB());
    String[] slices = new String[plan.size()];
    for (ChunkPlan.Chunk chunk : plan.chunks()) {
      slices[chunk.index()] = Float32Codec.toBase64(a.data(), a.offsetOf(chunk.rowStart()), chunk.rows() * a.cols());
    }
    // Smaller parts pipeline: the bridge encodes one while the worker decodes the one before.
    int partRows = (int) Math.max(1, Math.min(b.rows(), bPartBytes / ((long) b.cols() * Float.BYTES)));
    List<BPart> parts = new ArrayList<>();
    for (int start = 0; start < b.rows(); start += partRows) {
      int count = Math.min(partRows, b.rows() - start);
      parts.add(new BPart(start, count, Float32Codec.toBase64(b.data(), b.offsetOf(start), count * b.cols())));
    }
    Freivalds check = checkVectors > 0 ? Freivalds.prepare(b, checkVectors, groupColumns, new SplittableRandom(SEEDS.nextLong())) : null;
    return new JobInputs(a, b, plan, slices, List.copyOf(parts), check);
  }
}

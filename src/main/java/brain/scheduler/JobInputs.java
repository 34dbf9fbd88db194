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
 * chunk payloads already encoded (so dispatch only sends), B cut into column panels (one, all
 * of B, for a row-slice plan) and each panel into parts that fit the message budget, and per
 * panel the secret vectors of the per-chunk check.
 */
record JobInputs(Matrix a, Matrix b, ChunkPlan plan, String[] aSlices, List<Panel> panels) {
  /** The check's vectors must be unpredictable to workers. */
  private static final SecureRandom SEEDS = new SecureRandom();

  /** Rows {@code rowStart ..} of a B panel, encoded. */
  record BPart(int rowStart, int rowCount, String data) {}

  /**
   * Columns {@code colStart..+cols} of B: the matrix (B itself for a row-slice plan), its parts
   * as sent, and the grouped Freivalds check of blocks against it (null with checks off). Its
   * check runs over all k rows of the panel, so its error bound is that of the full inner
   * dimension.
   */
  record Panel(int colStart, int cols, Matrix b, List<BPart> parts, Freivalds check) {}

  /** The panel of B a chunk is computed with. */
  Panel panelOf(ChunkPlan.Chunk chunk) {
    return panels.get(chunk.panel(plan));
  }

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
    // A row panel is the same for every column panel: encoded once, by row panel.
    String[] slices = new String[plan.size()];
    String[] byRowPanel = new String[plan.rowPanels()];
    for (ChunkPlan.Chunk chunk : plan.chunks()) {
      int rowPanel = chunk.rowStart() / plan.chunkRows();
      if (byRowPanel[rowPanel] == null) {
        byRowPanel[rowPanel] = Float32Codec.toBase64(a.data(), a.offsetOf(chunk.rowStart()), chunk.rows() * a.cols());
      }
      slices[chunk.index()] = byRowPanel[rowPanel];
    }
    List<Panel> panels = new ArrayList<>();
    for (int colStart = 0; colStart < plan.totalCols(); colStart += plan.blockCols()) {
      Matrix panel = b.columns(colStart, Math.min(plan.blockCols(), plan.totalCols() - colStart));
      Freivalds check = checkVectors > 0
          ? Freivalds.prepare(panel, checkVectors, groupColumns, new SplittableRandom(SEEDS.nextLong())) : null;
      panels.add(new Panel(colStart, panel.cols(), panel, parts(panel, bPartBytes), check));
    }
    return new JobInputs(a, b, plan, slices, List.copyOf(panels));
  }

  /** Smaller parts pipeline: the bridge encodes one while the worker decodes the one before. */
  private static List<BPart> parts(Matrix b, long bPartBytes) {
    int partRows = (int) Math.max(1, Math.min(b.rows(), bPartBytes / ((long) b.cols() * Float.BYTES)));
    List<BPart> parts = new ArrayList<>();
    for (int start = 0; start < b.rows(); start += partRows) {
      int count = Math.min(partRows, b.rows() - start);
      parts.add(new BPart(start, count, Float32Codec.toBase64(b.data(), b.offsetOf(start), count * b.cols())));
    }
    return List.copyOf(parts);
  }
}

package brain.scheduler;

import brain.model.ChunkPlan;
import brain.model.Float32Codec;
import brain.model.Freivalds;
import brain.model.InputGenerator;
import brain.model.JobSpec;
import brain.model.Matrix;
import brain.matrix.MatrixFiles;
import brain.persistence.ResultFiles;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Everything a running job needs, built once off the event loop: A and B from the seed (or the
 * uploaded files), the data items workers fetch over HTTP (docs/PROTOCOL.md §4: B whole, A by
 * chunk, named by their content, each a region of a file under storage.dir or, for a small
 * generated job, bytes held in memory), and the secret
 * vectors of the per-chunk check. The base64 payloads of protocol 1 are encoded on first use
 * only (a grid of protocol-2 workers never pays for them).
 *
 * <p>A job cut into 2-D blocks has B in column panels ({@link Panel}): each its own matrix, its
 * own data item (a file of its own, a column panel not being one region of B's file), its own
 * protocol-1 parts and its own check. A row-slice job has one panel: B itself.
 */
final class JobInputs {
  /** The check's vectors must be unpredictable to workers. */
  private static final SecureRandom SEEDS = new SecureRandom();

  /** Rows {@code rowStart ..} of B (of one of its panels), encoded (protocol 1). */
  record BPart(int rowStart, int rowCount, String data) {}

  /**
   * One input a worker fetches: {@code rows}×{@code cols} float32, little-endian, row-major, at
   * {@code offset} in {@code file}, or, for a small generated job, {@code held} in memory (file
   * null). Its id names its content (a digest of its shape and values, or for a generated
   * input of the slice of the seed's matrix it is): the same content in another job (a replay,
   * a second job on the same B) has the same id, so a worker that holds it is not sent it again.
   */
  record Item(String id, String role, int rows, int cols, Path file, long offset, Buffer held) {
    long bytes() {
      return (long) rows * cols * Float.BYTES;
    }
  }

  /**
   * Columns {@code colStart..+cols} of B: the matrix (B itself for a row-slice plan), its data
   * item, and the grouped Freivalds check of blocks against it (null with checks off). The check
   * runs over all k rows of the panel, so its error bound is that of the full inner dimension.
   */
  static final class Panel {
    final int colStart;
    final int cols;
    final Matrix b;
    final Item item;
    final Freivalds check;
    private final long bPartBytes;
    private List<BPart> parts;

    Panel(int colStart, Matrix b, Item item, Freivalds check, long bPartBytes) {
      this.colStart = colStart;
      this.cols = b.cols();
      this.b = b;
      this.item = item;
      this.check = check;
      this.bPartBytes = bPartBytes;
    }

    int colStart() {
      return colStart;
    }

    int cols() {
      return cols;
    }

    Matrix b() {
      return b;
    }

    Freivalds check() {
      return check;
    }

    /** Protocol 1: the panel cut into parts that fit the message budget (encoded on first use). */
    synchronized List<BPart> parts() {
      if (parts == null) {
        // Smaller parts pipeline: the bridge encodes one while the worker decodes the one before.
        int partRows = (int) Math.max(1, Math.min(b.rows(), bPartBytes / ((long) b.cols() * Float.BYTES)));
        List<BPart> list = new ArrayList<>();
        for (int start = 0; start < b.rows(); start += partRows) {
          int count = Math.min(partRows, b.rows() - start);
          list.add(new BPart(start, count, Float32Codec.toBase64(b.data(), b.offsetOf(start), count * b.cols())));
        }
        parts = List.copyOf(list);
      }
      return parts;
    }
  }

  final Matrix a;
  final Matrix b;
  final ChunkPlan plan;
  final List<Panel> panels;
  final Item[] aItems;
  private String[] aSlices;

  private JobInputs(Matrix a, Matrix b, ChunkPlan plan, List<Panel> panels, Item[] aItems) {
    this.a = a;
    this.b = b;
    this.plan = plan;
    this.panels = panels;
    this.aItems = aItems;
  }

  Matrix a() {
    return a;
  }

  Matrix b() {
    return b;
  }

  List<Panel> panels() {
    return panels;
  }

  /** The panel of B a chunk is computed with. */
  Panel panelOf(ChunkPlan.Chunk chunk) {
    return panels.get(chunk.panel(plan));
  }

  /** The data item of B a chunk is computed with (B itself for a row slice). */
  Item bItemOf(int chunkIndex) {
    return panelOf(plan.get(chunkIndex)).item;
  }

  /**
   * Blocking: generates (or, for a job of uploaded matrices, loads from {@code storageDir}) and
   * digests the items; call from a worker thread. A generated job whose A and B together are at
   * most {@code heldMaxBytes} keeps its items in memory and writes nothing: writing them took
   * most of a small job's start (on these machines up to 3.5 ms per MiB of a new file), and the
   * seed regenerates them for a download or a restart. A larger one writes its inputs under
   * {@code storageDir/inputs} (once: the file may be there from a download or an earlier run)
   * and a blocked plan's B panels beside them, streamed from there without a copy in the heap.
   */
  static JobInputs prepare(String jobId, JobSpec spec, ChunkPlan plan, long bPartBytes, int checkVectors,
      int groupColumns, Path storageDir, long heldMaxBytes) {
    Path aFile = spec.fromMatrices() ? storageDir.resolve(spec.a() + ".f32") : ResultFiles.inputFile(storageDir, jobId, "a");
    Path bFile = spec.fromMatrices() ? storageDir.resolve(spec.b() + ".f32") : ResultFiles.inputFile(storageDir, jobId, "b");
    Matrix a = spec.fromMatrices() ? MatrixFiles.load(aFile, spec.rowsA(), spec.colsA())
        : InputGenerator.a(spec.seed(), spec.rowsA(), spec.colsA());
    Matrix b = spec.fromMatrices() ? MatrixFiles.load(bFile, spec.colsA(), spec.colsB())
        : InputGenerator.b(spec.seed(), spec.colsA(), spec.colsB());
    boolean held = !spec.fromMatrices() && ((long) a.data().length + b.data().length) * Float.BYTES <= heldMaxBytes;
    if (!spec.fromMatrices() && !held) {
      writeOnce(a, aFile);
      writeOnce(b, bFile);
    }
    byte[] aBytes = held ? Float32Codec.toBytes(a.data()) : null;
    Buffer aHeld = held ? Buffer.buffer(aBytes) : null;
    // Blocks of one row panel share their A item (same rows, same digest): a worker's cache keeps it.
    ItemDigester digester = new ItemDigester();
    Item[] aItems = new Item[plan.size()];
    Item[] byRowPanel = new Item[plan.rowPanels()];
    for (ChunkPlan.Chunk chunk : plan.chunks()) {
      int rowPanel = chunk.rowStart() / plan.chunkRows();
      if (byRowPanel[rowPanel] == null) {
        int offset = a.offsetOf(chunk.rowStart());
        int length = chunk.rows() * a.cols() * Float.BYTES;
        String id = spec.fromMatrices() ? digester.digest(a.data(), offset, chunk.rows(), a.cols())
            : digester.generated('a', spec.seed(), a.cols(), chunk.rowStart(), chunk.rows(), 0, a.cols());
        byRowPanel[rowPanel] = new Item(id, "a", chunk.rows(), a.cols(), held ? null : aFile, offset * (long) Float.BYTES,
            held ? aHeld.slice(offset * Float.BYTES, offset * Float.BYTES + length) : null);
      }
      aItems[chunk.index()] = byRowPanel[rowPanel];
    }
    List<Panel> panels = new ArrayList<>();
    for (int colStart = 0; colStart < plan.totalCols(); colStart += plan.blockCols()) {
      Matrix panel = b.columns(colStart, Math.min(plan.blockCols(), plan.totalCols() - colStart));
      Path file = held ? null : bFile;
      if (plan.blocked() && !held) {
        file = panelFile(storageDir, jobId, colStart);
        writeOnce(panel, file);
      }
      byte[] panelBytes = held ? Float32Codec.toBytes(panel.data()) : null;
      String id = spec.fromMatrices() ? digester.digest(panel.data(), 0, panel.rows(), panel.cols())
          : digester.generated('b', spec.seed(), b.cols(), 0, b.rows(), colStart, panel.cols());
      Item item = new Item(id, "b", panel.rows(), panel.cols(), file, 0, held ? Buffer.buffer(panelBytes) : null);
      Freivalds check = checkVectors > 0
          ? Freivalds.prepare(panel, checkVectors, groupColumns, new SplittableRandom(SEEDS.nextLong())) : null;
      panels.add(new Panel(colStart, panel, item, check, bPartBytes));
    }
    return new JobInputs(a, b, plan, List.copyOf(panels), aItems);
  }

  /** The file of a blocked plan's B panel starting at column {@code colStart}. */
  static Path panelFile(Path storageDir, String jobId, int colStart) {
    return ResultFiles.inputFile(storageDir, jobId, "b-panel-" + colStart);
  }

  /** Blocking: deletes a blocked plan's B panel files (the job is over). */
  static void deletePanelFiles(Path storageDir, String jobId, ChunkPlan plan) {
    if (plan == null || !plan.blocked()) {
      return;
    }
    for (int colStart = 0; colStart < plan.totalCols(); colStart += plan.blockCols()) {
      try {
        Files.deleteIfExists(panelFile(storageDir, jobId, colStart));
      } catch (java.io.IOException e) {
        // left for the storage sweep's orphan pass
      }
    }
  }

  private static void writeOnce(Matrix m, Path file) {
    try {
      if (Files.size(file) == (long) m.rows() * m.cols() * Float.BYTES) {
        return;
      }
    } catch (java.io.IOException absent) {
      // not there yet
    }
    MatrixFiles.writeRaw(m, file);
  }

  /** Protocol 1: the chunk's rows of A in base64 (encoded on first use; one string per row panel). */
  synchronized String aSlice(int chunkIndex) {
    if (aSlices == null) {
      aSlices = new String[plan.rowPanels()];
    }
    ChunkPlan.Chunk chunk = plan.get(chunkIndex);
    int rowPanel = chunk.rowStart() / plan.chunkRows();
    if (aSlices[rowPanel] == null) {
      aSlices[rowPanel] = Float32Codec.toBase64(a.data(), a.offsetOf(chunk.rowStart()), chunk.rows() * a.cols());
    }
    return aSlices[rowPanel];
  }
}

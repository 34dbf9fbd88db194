package brain.scheduler;

import brain.model.ChunkPlan;
import brain.model.Float32Codec;
import brain.model.Freivalds;
import brain.model.InputGenerator;
import brain.model.JobSpec;
import brain.model.Matrix;
import brain.matrix.MatrixFiles;
import brain.persistence.ResultFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Everything a running job needs, built once off the event loop: A and B from the seed (or the
 * uploaded files), the data items workers fetch over HTTP (docs/PROTOCOL.md §4: B whole, A by
 * chunk, each a region of a file under storage.dir named by its content), and the secret
 * vectors of the per-chunk check. The base64 payloads of protocol 1 are encoded on first use
 * only (a grid of protocol-2 workers never pays for them).
 */
final class JobInputs {
  /** The check's vectors must be unpredictable to workers. */
  private static final SecureRandom SEEDS = new SecureRandom();

  /** Rows {@code rowStart ..} of B, encoded (protocol 1). */
  record BPart(int rowStart, int rowCount, String data) {}

  /**
   * One input a worker fetches: {@code rows}×{@code cols} float32, little-endian, row-major, at
   * {@code offset} in {@code file}. Its id is a digest of its shape and values: the same content
   * in another job (a replay, a second job on the same B) has the same id, so a worker that holds
   * it is not sent it again.
   */
  record Item(String id, String role, int rows, int cols, Path file, long offset) {
    long bytes() {
      return (long) rows * cols * Float.BYTES;
    }
  }

  final Matrix a;
  final Matrix b;
  final ChunkPlan plan;
  final Freivalds check;
  final Item bItem;
  final Item[] aItems;
  private final long bPartBytes;
  private String[] aSlices;
  private List<BPart> bParts;

  private JobInputs(Matrix a, Matrix b, ChunkPlan plan, Freivalds check, Item bItem, Item[] aItems, long bPartBytes) {
    this.a = a;
    this.b = b;
    this.plan = plan;
    this.check = check;
    this.bItem = bItem;
    this.aItems = aItems;
    this.bPartBytes = bPartBytes;
  }

  Matrix a() {
    return a;
  }

  Matrix b() {
    return b;
  }

  Freivalds check() {
    return check;
  }

  /**
   * Blocking: generates (or, for a job of uploaded matrices, loads from {@code storageDir}),
   * writes generated inputs under {@code storageDir/inputs} (once: the file may be there from a
   * download or an earlier run) and digests the items; call from a worker thread.
   */
  static JobInputs prepare(String jobId, JobSpec spec, ChunkPlan plan, long bPartBytes, int checkVectors,
      int groupColumns, Path storageDir) {
    Path aFile = spec.fromMatrices() ? storageDir.resolve(spec.a() + ".f32") : ResultFiles.inputFile(storageDir, jobId, "a");
    Path bFile = spec.fromMatrices() ? storageDir.resolve(spec.b() + ".f32") : ResultFiles.inputFile(storageDir, jobId, "b");
    Matrix a = spec.fromMatrices() ? MatrixFiles.load(aFile, spec.rowsA(), spec.colsA())
        : InputGenerator.a(spec.seed(), spec.rowsA(), spec.colsA());
    Matrix b = spec.fromMatrices() ? MatrixFiles.load(bFile, spec.colsA(), spec.colsB())
        : InputGenerator.b(spec.seed(), spec.colsA(), spec.colsB());
    if (!spec.fromMatrices()) {
      writeOnce(a, aFile);
      writeOnce(b, bFile);
    }
    Item[] aItems = new Item[plan.size()];
    for (ChunkPlan.Chunk chunk : plan.chunks()) {
      int offset = a.offsetOf(chunk.rowStart());
      aItems[chunk.index()] = new Item(digest(a.data(), offset, chunk.rows(), a.cols()), "a", chunk.rows(), a.cols(),
          aFile, offset * (long) Float.BYTES);
    }
    Item bItem = new Item(digest(b.data(), 0, b.rows(), b.cols()), "b", b.rows(), b.cols(), bFile, 0);
    Freivalds check = checkVectors > 0 ? Freivalds.prepare(b, checkVectors, groupColumns, new SplittableRandom(SEEDS.nextLong())) : null;
    return new JobInputs(a, b, plan, check, bItem, aItems, bPartBytes);
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

  /** "d-" + 32 hex digits of SHA-256 over (rows, cols as int32 LE, the float32 LE values). */
  static String digest(float[] data, int offset, int rows, int cols) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt(rows).putInt(cols).flip();
    sha.update(buf);
    int count = rows * cols;
    for (int done = 0; done < count; ) {
      int n = Math.min(count - done, buf.capacity() / Float.BYTES);
      buf.clear();
      buf.asFloatBuffer().put(data, offset + done, n);
      buf.limit(n * Float.BYTES);
      sha.update(buf);
      done += n;
    }
    return "d-" + HexFormat.of().formatHex(sha.digest(), 0, 16);
  }

  /** Protocol 1: the chunk's rows of A in base64 (encoded on first use). */
  synchronized String aSlice(int chunkIndex) {
    if (aSlices == null) {
      aSlices = new String[plan.size()];
    }
    if (aSlices[chunkIndex] == null) {
      ChunkPlan.Chunk chunk = plan.get(chunkIndex);
      aSlices[chunkIndex] = Float32Codec.toBase64(a.data(), a.offsetOf(chunk.rowStart()), chunk.rows() * a.cols());
    }
    return aSlices[chunkIndex];
  }

  /** Protocol 1: B cut into parts that fit the message budget (encoded on first use). */
  synchronized List<BPart> bParts() {
    if (bParts == null) {
      // Smaller parts pipeline: the bridge encodes one while the worker decodes the one before.
      int partRows = (int) Math.max(1, Math.min(b.rows(), bPartBytes / ((long) b.cols() * Float.BYTES)));
      List<BPart> parts = new ArrayList<>();
      for (int start = 0; start < b.rows(); start += partRows) {
        int count = Math.min(partRows, b.rows() - start);
        parts.add(new BPart(start, count, Float32Codec.toBase64(b.data(), b.offsetOf(start), count * b.cols())));
      }
      bParts = List.copyOf(parts);
    }
    return bParts;
  }
}

package brain.matrix;

import brain.model.ApiError;
import brain.model.Matrix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Matrices on disk: imports of {@code .npy} and raw float32 uploads into content-addressed files
 * {@code <dir>/<id>.f32} (raw little-endian float32, row-major, no header), the {@code .npy}
 * header for downloads, and whole-matrix reads and writes of such files.
 *
 * <p>Imports stream through bounded buffers ({@value #BUFFER_BYTES} bytes) and, for Fortran
 * order, transpose by blocks into memory-mapped regions of the output (at most
 * {@value #MAP_BYTES} bytes mapped at once), so the heap does not grow with the matrix. Every
 * method here blocks: call it from a worker thread, not an event loop. A refused upload throws
 * {@link ApiError} (400, or 413 beyond the limits) and leaves nothing in the directory; I/O
 * failures throw {@link UncheckedIOException}.
 */
public final class MatrixFiles {
  /** Bounds an upload must fit: each dimension at most {@code maxDimension}, rows·cols at most {@code maxElements}. */
  public record Limits(int maxDimension, long maxElements) {
    public Limits {
      if (maxDimension < 1 || maxElements < 1) {
        throw new IllegalArgumentException("limits must be positive: " + maxDimension + ", " + maxElements);
      }
    }
  }

  /** What an import produced: id derived from the matrix (shape + row-major float32 values), the file, sizes. */
  public record Imported(String id, int rows, int cols, long bytes, String sha256, Path file) {}

  /** Size of the streaming buffers (input side; a multiple of 8). */
  static final int BUFFER_BYTES = 4 << 20;
  /** Most bytes of output mapped at once during a Fortran-order transpose. */
  static final long MAP_BYTES = 64L << 20;
  /** Columns transposed together: each output row gets this many contiguous floats per pass. */
  static final int GROUP_COLUMNS = 64;
  /** File name suffix of stored matrices. */
  public static final String SUFFIX = ".f32";

  private static final String ACCEPTED_DTYPES =
      "accepted dtypes are '<f4' (little-endian float32) and '<f8' (little-endian float64, converted to float32)";

  private MatrixFiles() {}

  /** Blocking. Reads a .npy file (format 1.0, 2.0, 3.0; dtype '<f4', or '<f8' converted to float32; C or Fortran order; exactly 2-D), validates it, writes <dir>/<id>.f32 atomically. */
  public static Imported importNpy(Path upload, Path dir, Limits limits) {
    Objects.requireNonNull(upload, "upload");
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(limits, "limits");
    try (FileChannel in = FileChannel.open(upload, StandardOpenOption.READ)) {
      NpyHeader header = NpyHeader.read(in);
      int itemSize = itemSize(header);
      long[] shape = header.shape();
      if (shape.length != 2) {
        throw new ApiError(400, "shape " + header.shapeText() + " is " + shape.length + "-D; a matrix must be exactly 2-D"
            + (shape.length == 1 ? " (reshape it, e.g. a.reshape(1, -1) for one row)" : ""));
      }
      checkShape(shape[0], shape[1], limits, "shape " + header.shapeText());
      int rows = (int) shape[0];
      int cols = (int) shape[1];
      long elements = (long) rows * cols;
      long body = in.size() - header.dataOffset();
      long needed = elements * itemSize;
      if (body != needed) {
        throw new ApiError(400, "the .npy body is " + body + " bytes but shape " + header.shapeText() + " of "
            + header.descrText() + " needs " + needed + " bytes"
            + (body < needed ? " (the file is truncated)" : " (the body is longer than the shape says)"));
      }
      boolean transpose = header.fortranOrder() && rows > 1 && cols > 1;
      return MatrixImport.store(dir, rows, cols, (out, hashes) -> {
        if (transpose) {
          MatrixImport.transpose(in, header.dataOffset(), rows, cols, itemSize, out, hashes);
        } else {
          MatrixImport.stream(in, header.dataOffset(), rows, cols, itemSize, out, hashes);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot import " + upload + ": " + e.getMessage(), e);
    }
  }

  /** Blocking. The same for a raw little-endian float32 row-major upload of rows × cols values. */
  public static Imported importRaw(Path upload, int rows, int cols, Path dir, Limits limits) {
    Objects.requireNonNull(upload, "upload");
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(limits, "limits");
    checkShape(rows, cols, limits, "rows=" + rows + ", cols=" + cols);
    try (FileChannel in = FileChannel.open(upload, StandardOpenOption.READ)) {
      long body = in.size();
      long needed = (long) rows * cols * 4;
      if (body != needed) {
        throw new ApiError(400, "the body is " + body + " bytes but rows=" + rows + ", cols=" + cols
            + " of float32 needs " + needed + " bytes"
            + (body < needed ? " (the upload is truncated)" : " (the body is longer than the shape says)"));
      }
      return MatrixImport.store(dir, rows, cols, (out, hashes) -> MatrixImport.stream(in, 0, rows, cols, 4, out, hashes));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot import " + upload + ": " + e.getMessage(), e);
    }
  }

  /** The .npy format 1.0 header for a row-major float32 matrix: a download is this header followed by the raw file. */
  public static byte[] npyHeader(int rows, int cols) {
    return NpyHeader.format1(rows, cols);
  }

  /** Blocking: reads a raw .f32 file into a Matrix (rows, cols, float[] row-major). */
  public static Matrix load(Path file, int rows, int cols) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException("negative dimension " + rows + "x" + cols);
    }
    float[] data = new float[Math.multiplyExact(rows, cols)];
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = in.size();
      if (size != data.length * 4L) {
        throw new IllegalArgumentException(file + " is " + size + " bytes; a " + rows + "x" + cols
            + " float32 matrix needs " + data.length * 4L);
      }
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(BUFFER_BYTES, Math.max(4, size))).order(ByteOrder.LITTLE_ENDIAN);
      int done = 0;
      long position = 0;
      while (done < data.length) {
        int count = Math.min(data.length - done, buf.capacity() / 4);
        buf.clear().limit(count * 4);
        readFully(in, buf, position);
        position += count * 4L;
        buf.flip();
        buf.asFloatBuffer().get(data, done, count);
        done += count;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return new Matrix(rows, cols, data);
  }

  /** Blocking: writes a Matrix as a raw .f32 file (atomically: temp file in the same directory, forced, then a move). */
  public static void writeRaw(Matrix m, Path file) {
    write(m, file, null);
  }

  /**
   * Blocking: {@link #writeRaw}, answering the SHA-256 (hex) of the bytes written, digested on
   * the way out so that the file need not be read back.
   */
  public static String writeRawDigested(Matrix m, Path file) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      write(m, file, sha);
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes {@code m} to {@code file} atomically; {@code sha}, when given, is updated with every byte. */
  private static void write(Matrix m, Path file, MessageDigest sha) {
    Path parent = file.toAbsolutePath().getParent();
    Path temp = null;
    try {
      Files.createDirectories(parent);
      temp = Files.createTempFile(parent, ".write-", ".tmp");
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        float[] data = m.data();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(BUFFER_BYTES, Math.max(4, data.length * 4L)))
            .order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer floats = buf.asFloatBuffer();
        int done = 0;
        while (done < data.length) {
          int count = Math.min(data.length - done, buf.capacity() / 4);
          floats.clear();
          floats.put(data, done, count);
          buf.clear().limit(count * 4);
          if (sha != null) {
            sha.update(buf.duplicate());
          }
          writeFully(out, buf);
          done += count;
        }
        out.force(true);
      }
      move(temp, file);
      temp = null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    } finally {
      deleteQuietly(temp);
    }
  }

  /** "m-" + the first 32 hex digits of SHA-256 over (rows as int32 LE, cols as int32 LE, the float32 LE bytes). */
  public static String idOf(int rows, int cols, float[] rowMajor) {
    if ((long) rows * cols != rowMajor.length) {
      throw new IllegalArgumentException("a " + rows + "x" + cols + " matrix has " + ((long) rows * cols)
          + " values, got " + rowMajor.length);
    }
    MatrixImport.Hashes hashes = new MatrixImport.Hashes(rows, cols);
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(1 << 20, Math.max(4, rowMajor.length * 4L)))
        .order(ByteOrder.LITTLE_ENDIAN);
    FloatBuffer floats = buf.asFloatBuffer();
    int done = 0;
    while (done < rowMajor.length) {
      int count = Math.min(rowMajor.length - done, buf.capacity() / 4);
      floats.clear();
      floats.put(rowMajor, done, count);
      buf.clear().limit(count * 4);
      hashes.update(buf);
      done += count;
    }
    return hashes.id();
  }

  // ---------------------------------------------------------------- validation

  private static int itemSize(NpyHeader header) {
    Object descr = header.descr();
    if ("<f4".equals(descr)) {
      return 4;
    }
    if ("<f8".equals(descr)) {
      return 8;
    }
    throw new ApiError(400, "unsupported dtype " + header.descrText() + " (" + describe(descr) + "); " + ACCEPTED_DTYPES);
  }

  /** What a numpy descr means, in words, for the refusal message. */
  static String describe(Object descr) {
    if (!(descr instanceof String s)) {
      return "a structured dtype with fields";
    }
    if (s.isEmpty()) {
      return "empty";
    }
    String order = "";
    int at = 0;
    char first = s.charAt(0);
    if (first == '<' || first == '>' || first == '|' || first == '=') {
      order = first == '>' ? "big-endian " : first == '<' ? "little-endian " : first == '=' ? "native-order " : "";
      at = 1;
    }
    if (at >= s.length()) {
      return "not a dtype";
    }
    char kind = s.charAt(at);
    String size = s.substring(at + 1);
    int bytes = size.matches("[0-9]{1,4}") ? Integer.parseInt(size) : -1;
    String bits = bytes > 0 ? (bytes * 8) + "-bit " : "";
    String what;
    switch (kind) {
      case 'b':
      case '?':
        what = "boolean";
        break;
      case 'i':
        what = bits + "signed integer";
        break;
      case 'u':
        what = bits + "unsigned integer";
        break;
      case 'f':
        what = bytes == 2 ? "float16" : bytes == 4 ? "float32" : bytes == 8 ? "float64" : bits + "float";
        break;
      case 'c':
        what = bytes > 0 ? "complex" + (bytes * 8) : "complex";
        break;
      case 'O':
        what = "Python objects (pickled)";
        break;
      case 'S':
      case 'a':
        what = "byte strings";
        break;
      case 'U':
        what = "unicode strings";
        break;
      case 'V':
        what = "raw void";
        break;
      case 'M':
        what = "datetime64";
        break;
      case 'm':
        what = "timedelta64";
        break;
      default:
        what = "unknown kind '" + kind + "'";
    }
    String hint = order.equals("big-endian ") && kind == 'f' ? ": convert it with a.astype('<f4')" : "";
    return order + what + hint;
  }

  private static void checkShape(long rows, long cols, Limits limits, String shown) {
    if (rows < 0 || cols < 0) {
      throw new ApiError(400, shown + " has a negative dimension");
    }
    if (rows == 0 || cols == 0) {
      throw new ApiError(400, shown + " has a zero dimension; a matrix needs at least one row and one column");
    }
    if (rows > limits.maxDimension()) {
      throw new ApiError(413, shown + ": " + rows + " rows exceed the limit limits.maxDimension = " + limits.maxDimension());
    }
    if (cols > limits.maxDimension()) {
      throw new ApiError(413, shown + ": " + cols + " columns exceed the limit limits.maxDimension = " + limits.maxDimension());
    }
    if (rows * cols > limits.maxElements()) {
      throw new ApiError(413, shown + ": " + rows + " × " + cols + " = " + (rows * cols)
          + " elements exceed the limit limits.maxElements = " + limits.maxElements());
    }
  }

  // ---------------------------------------------------------------- I/O helpers

  static void readFully(FileChannel in, ByteBuffer buf, long position) throws IOException {
    while (buf.hasRemaining()) {
      int n = in.read(buf, position);
      if (n < 0) {
        throw new ApiError(400, "the upload ended early (it changed while being read)");
      }
      position += n;
    }
  }

  static void writeFully(FileChannel out, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      out.write(buf);
    }
  }

  static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  static void deleteQuietly(Path temp) {
    if (temp != null) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // best effort: a leftover .tmp file is named so that nobody mistakes it for a matrix
      }
    }
  }
}

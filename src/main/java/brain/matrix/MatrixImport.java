package brain.matrix;

import static brain.matrix.MatrixFiles.*;

import brain.model.ApiError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The import machinery behind {@link MatrixFiles}: copies an upload's values into a row-major
 * float32 file through bounded buffers (row-major data streamed in order; Fortran order
 * transposed through memory-mapped bands of the output), checking every value and hashing the
 * result as it goes, then moves the file into place under its id. Blocking.
 */
final class MatrixImport {
  private MatrixImport() {}

  static ApiError notFinite(long row, long col, double value) {
    String what = Double.isNaN(value) ? "NaN"
        : Double.isInfinite(value) ? (value > 0 ? "Infinity" : "-Infinity")
        : null;
    if (what == null) {
      return new ApiError(400, "the float64 value " + value + " at row " + row + ", col " + col
          + " (0-based) is outside the float32 range (±" + Float.MAX_VALUE + "); only finite values can be multiplied and verified");
    }
    return new ApiError(400, "the matrix contains " + what + " at row " + row + ", col " + col
        + " (0-based, the first one in row-major order); only finite values can be multiplied and verified");
  }

  interface Writer {
    void write(FileChannel out, Hashes hashes) throws IOException;
  }

  /** Writes a temp file in dir, hashes it, and moves it to dir/id.f32 unless that file exists already. */
  static Imported store(Path dir, int rows, int cols, Writer writer) throws IOException {
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, ".import-", ".tmp");
    try {
      Hashes hashes = new Hashes(rows, cols);
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        writer.write(out, hashes);
        out.force(true);
      }
      String id = hashes.id();
      long bytes = (long) rows * cols * 4;
      Path target = dir.resolve(id + SUFFIX);
      if (Files.isRegularFile(target) && Files.size(target) == bytes) {
        Files.delete(temp); // the same matrix is stored already: keep the existing file
      } else {
        move(temp, target);
      }
      temp = null;
      return new Imported(id, rows, cols, bytes, hashes.sha256(), target);
    } finally {
      deleteQuietly(temp);
    }
  }

  /** Row-major (or one-row / one-column) data: read, convert, check, hash and write in order. */
  static void stream(FileChannel in, long offset, int rows, int cols, int itemSize, FileChannel out, Hashes hashes)
      throws IOException {
    long elements = (long) rows * cols;
    int capacityElements = BUFFER_BYTES / 8;
    ByteBuffer inBuf = ByteBuffer.allocate((int) Math.min(capacityElements, elements) * itemSize).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer outBuf = itemSize == 4 ? inBuf
        : ByteBuffer.allocate((int) Math.min(capacityElements, elements) * 4).order(ByteOrder.LITTLE_ENDIAN);
    long position = offset;
    long done = 0;
    while (done < elements) {
      int count = (int) Math.min(elements - done, inBuf.capacity() / itemSize);
      inBuf.clear().limit(count * itemSize);
      readFully(in, inBuf, position);
      position += (long) count * itemSize;
      if (itemSize == 4) {
        for (int k = 0; k < count; k++) {
          if ((inBuf.getInt(k * 4) & 0x7f800000) == 0x7f800000) {
            long index = done + k;
            throw notFinite(index / cols, index % cols, inBuf.getFloat(k * 4));
          }
        }
      } else {
        for (int k = 0; k < count; k++) {
          double d = inBuf.getDouble(k * 8);
          float f = (float) d;
          if (!Float.isFinite(f)) {
            long index = done + k;
            throw notFinite(index / cols, index % cols, d);
          }
          outBuf.putFloat(k * 4, f);
        }
      }
      outBuf.clear().limit(count * 4);
      hashes.update(outBuf.duplicate());
      writeFully(out, outBuf);
      done += count;
    }
  }

  /**
   * Column-major data: transposes into the output by row bands (each band mapped, at most
   * MAP_BYTES) and column groups (read into a bounded buffer), then hashes each completed band in
   * row-major order while it is still in the page cache.
   */
  static void transpose(FileChannel in, long offset, int rows, int cols, int itemSize, FileChannel out, Hashes hashes)
      throws IOException {
    long rowBytes = cols * 4L;
    // a band is whole rows; only when one row alone is larger than MAP_BYTES is it cut into segments
    int segmentWidth = rowBytes <= MAP_BYTES ? cols : (int) (MAP_BYTES / 4);
    int groupWidth = Math.min(GROUP_COLUMNS, segmentWidth);
    long bandRows = rowBytes <= MAP_BYTES ? MAP_BYTES / rowBytes : 1;
    bandRows = Math.max(1, Math.min(Math.min(bandRows, rows), BUFFER_BYTES / ((long) groupWidth * itemSize)));
    ByteBuffer group = ByteBuffer.allocate((int) (groupWidth * bandRows * itemSize)).order(ByteOrder.LITTLE_ENDIAN);
    for (long i0 = 0; i0 < rows; i0 += bandRows) {
      int band = (int) Math.min(bandRows, rows - i0);
      for (int j0 = 0; j0 < cols; j0 += segmentWidth) {
        int width = Math.min(segmentWidth, cols - j0);
        long regionStart = (i0 * cols + j0) * 4;
        long regionLength = ((long) (band - 1) * cols + width) * 4;
        MappedByteBuffer region = out.map(FileChannel.MapMode.READ_WRITE, regionStart, regionLength);
        region.order(ByteOrder.LITTLE_ENDIAN);
        long firstBad = Long.MAX_VALUE;
        double badValue = 0;
        int columnBytes = band * itemSize;
        for (int g0 = j0; g0 < j0 + width; g0 += groupWidth) {
          int gw = Math.min(groupWidth, j0 + width - g0);
          for (int c = 0; c < gw; c++) {
            group.limit((c + 1) * columnBytes).position(c * columnBytes);
            readFully(in, group, offset + ((long) (g0 + c) * rows + i0) * itemSize);
          }
          for (int r = 0; r < band; r++) {
            int dst = (int) (((long) r * cols + (g0 - j0)) * 4);
            if (itemSize == 4) {
              for (int c = 0; c < gw; c++) {
                int bits = group.getInt((c * band + r) * 4);
                if ((bits & 0x7f800000) == 0x7f800000) {
                  long index = (i0 + r) * cols + g0 + c;
                  if (index < firstBad) {
                    firstBad = index;
                    badValue = Float.intBitsToFloat(bits);
                  }
                }
                region.putInt(dst + c * 4, bits);
              }
            } else {
              for (int c = 0; c < gw; c++) {
                double d = group.getDouble((c * band + r) * 8);
                float f = (float) d;
                if (!Float.isFinite(f)) {
                  long index = (i0 + r) * cols + g0 + c;
                  if (index < firstBad) {
                    firstBad = index;
                    badValue = d;
                  }
                }
                region.putFloat(dst + c * 4, f);
              }
            }
          }
        }
        if (firstBad != Long.MAX_VALUE) {
          // regions are visited in row-major order, so this is the first bad value of the matrix
          throw notFinite(firstBad / cols, firstBad % cols, badValue);
        }
        region.force();
        // the region is complete and contiguous (whole rows, or a piece of one row): hash it in order
        region.clear();
        hashes.update(region);
      }
    }
  }

  /** SHA-256 of the float32 bytes, and the id digest over (rows, cols, the same bytes). */
  static final class Hashes {
    private final MessageDigest sha = sha256Digest();
    private final MessageDigest id = sha256Digest();
    private final byte[] chunk = new byte[64 << 10];

    Hashes(int rows, int cols) {
      ByteBuffer shape = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(rows).putInt(cols);
      id.update(shape.array());
    }

    void update(ByteBuffer bytes) {
      if (bytes.hasArray()) {
        int from = bytes.arrayOffset() + bytes.position();
        sha.update(bytes.array(), from, bytes.remaining());
        id.update(bytes.array(), from, bytes.remaining());
        bytes.position(bytes.limit());
        return;
      }
      while (bytes.hasRemaining()) {
        int n = Math.min(chunk.length, bytes.remaining());
        bytes.get(chunk, 0, n);
        sha.update(chunk, 0, n);
        id.update(chunk, 0, n);
      }
    }

    String sha256() {
      return HexFormat.of().formatHex(sha.digest());
    }

    String id() {
      return "m-" + HexFormat.of().formatHex(id.digest()).substring(0, 32);
    }

    private static MessageDigest sha256Digest() {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is missing from this JVM", e);
      }
    }
  }
}

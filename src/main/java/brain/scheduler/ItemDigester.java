package brain.scheduler;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Data item ids (docs/PROTOCOL.md §4): "d-" + 32 hex digits of SHA-256 over (rows, cols as int32
 * LE, the float32 LE values), or a generated input's "g-" ids ({@link #generated}). One SHA-256
 * and one staging buffer for all the items of a job: a job of 16,384 one-row chunks digested
 * with a fresh 64 KiB buffer each allocated 1 GiB (40 ms to 1.9 s with the collections it
 * caused, against 4 ms for its one 1 MiB B). Not thread-safe.
 */
final class ItemDigester {
  /** Names InputGenerator's output: a change to the values it generates must change this. */
  private static final byte[] GENERATOR = "brain.model.InputGenerator/1".getBytes(StandardCharsets.US_ASCII);
  private final MessageDigest sha;
  private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

  ItemDigester() {
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  String digest(float[] data, int offset, int rows, int cols) {
    shape(rows, cols);
    int count = rows * cols;
    for (int done = 0; done < count; ) {
      int n = Math.min(count - done, buf.capacity() / Float.BYTES);
      buf.clear();
      buf.asFloatBuffer().put(data, offset + done, n);
      buf.limit(n * Float.BYTES);
      sha.update(buf);
      done += n;
    }
    return finish("d-");
  }

  /**
   * A generated input's id, "g-" and 32 hex digits of SHA-256 over what fixes its values
   * ({@link brain.model.InputGenerator}: the seed, A's or B's stream, the row stride) and which slice it
   * is, instead of over the values: as stable (a replay, or a second job on the same seed's
   * B, names the same items) without hashing megabytes at each start (2 MiB of a 512³ job's
   * were about 2 ms of its 35–40). Never equal to a content id ("d-").
   */
  String generated(char stream, long seed, int cols, int rowStart, int rows, int colStart, int sliceCols) {
    buf.clear();
    buf.put(GENERATOR).putChar(stream).putLong(seed).putInt(cols).putInt(rowStart).putInt(rows).putInt(colStart)
        .putInt(sliceCols).flip();
    sha.update(buf);
    return finish("g-");
  }

  private void shape(int rows, int cols) {
    buf.clear();
    buf.putInt(rows).putInt(cols).flip();
    sha.update(buf);
  }

  private String finish(String prefix) {
    return prefix + HexFormat.of().formatHex(sha.digest(), 0, 16); // digest() resets it for the next item
  }
}

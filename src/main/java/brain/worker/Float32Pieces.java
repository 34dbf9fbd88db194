package brain.worker;

import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Little-endian float32 values decoded into an array of exactly their count as a body's pieces
 * arrive: no buffer of the whole body and no decoding pass once it is all there. A value split
 * between two pieces is carried over to the next. Confined to one thread.
 */
final class Float32Pieces {
  private final float[] values;
  private final byte[] carry = new byte[Float.BYTES];
  private int carried;
  private int decoded;
  private long received;
  /** The carried bytes and one piece: a piece is a few KiB, so this stays small and in cache. */
  private byte[] staging = new byte[0];

  Float32Pieces(int count) {
    this.values = new float[count];
  }

  long expectedBytes() {
    return (long) values.length * Float.BYTES;
  }

  long receivedBytes() {
    return received;
  }

  /** Decodes {@code piece}; false, taking nothing, when it would run past the last value. */
  boolean accept(Buffer piece) {
    int length = piece.length();
    if (received + length > expectedBytes()) {
      return false;
    }
    int total = carried + length;
    if (staging.length < total) {
      staging = new byte[total];
    }
    System.arraycopy(carry, 0, staging, 0, carried);
    piece.getBytes(0, length, staging, carried);
    int whole = total / Float.BYTES;
    ByteBuffer.wrap(staging, 0, whole * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
        .get(values, decoded, whole);
    decoded += whole;
    carried = total - whole * Float.BYTES;
    System.arraycopy(staging, whole * Float.BYTES, carry, 0, carried);
    received += length;
    return true;
  }

  /** Values decoded so far: the array's first {@link #decoded()} are final. */
  int decoded() {
    return decoded;
  }

  /** The array being filled, whole or not. */
  float[] array() {
    return values;
  }

  /** The values, once every byte has arrived; null before. */
  float[] values() {
    return received == expectedBytes() ? values : null;
  }
}

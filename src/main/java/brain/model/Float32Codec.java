package brain.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/**
 * The one place that decides how float32 payloads travel: little-endian IEEE 754,
 * base64url without padding inside JSON (the way Vert.x writes binary into JSON), and the
 * same little-endian bytes in the database and in binary HTTP bodies.
 */
public final class Float32Codec {
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private Float32Codec() {}

  /** Characters of the base64url text of {@code floats} values. */
  public static long base64Length(long floats) {
    long bytes = floats * Float.BYTES;
    return (bytes * 4 + 2) / 3;
  }

  public static String toBase64(float[] values) {
    return toBase64(values, 0, values.length);
  }

  public static String toBase64(float[] values, int offset, int length) {
    return ENCODER.encodeToString(toBytes(values, offset, length));
  }

  /**
   * Decodes exactly {@code expectedValues} finite floats.
   *
   * @throws IllegalArgumentException with a message a person can act on, for a wrong
   *     length, a character outside base64url, or a NaN / infinite value
   */
  public static float[] fromBase64(String text, int expectedValues) {
    if (text == null) {
      throw new IllegalArgumentException("payload is missing");
    }
    long expectedChars = base64Length(expectedValues);
    if (text.length() != expectedChars) {
      throw new IllegalArgumentException(
          "payload has " + text.length() + " characters; " + expectedValues + " float32 values take "
              + expectedChars);
    }
    byte[] bytes;
    try {
      bytes = DECODER.decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("payload is not base64url: " + e.getMessage());
    }
    float[] values = fromBytes(bytes);
    int bad = firstNonFinite(values);
    if (bad >= 0) {
      throw new IllegalArgumentException("value " + bad + " is " + values[bad] + "; every value must be finite");
    }
    return values;
  }

  /**
   * Decodes {@code count} values into {@code target} at {@code offset}, without an intermediate
   * array and without the finiteness check (for data from a trusted side: the server's B).
   */
  public static void decodeInto(String text, float[] target, int offset, int count) {
    if (text == null || text.length() != base64Length(count)) {
      throw new IllegalArgumentException("payload does not hold " + count + " float32 values");
    }
    ByteBuffer.wrap(DECODER.decode(text)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(target, offset, count);
  }

  public static byte[] toBytes(float[] values) {
    return toBytes(values, 0, values.length);
  }

  public static byte[] toBytes(float[] values, int offset, int length) {
    ByteBuffer buffer = ByteBuffer.allocate(length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values, offset, length);
    return buffer.array();
  }

  public static float[] fromBytes(byte[] bytes) {
    if (bytes.length % Float.BYTES != 0) {
      throw new IllegalArgumentException(bytes.length + " bytes is not a whole number of float32 values");
    }
    float[] values = new float[bytes.length / Float.BYTES];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }

  /** Index of the first NaN or infinite value, or -1. */
  public static int firstNonFinite(float[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        return i;
      }
    }
    return -1;
  }
}

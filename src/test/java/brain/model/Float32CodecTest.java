package brain.model;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Float32CodecTest {

  @ParameterizedTest(name = "{0} values survive the round trip exactly")
  @ValueSource(ints = {0, 1, 2, 3, 5, 7, 1000, 65537})
  void roundTrip(int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) Math.sin(i * 0.37) * (i % 7 == 0 ? 1e30f : 1f) + (i % 5 == 0 ? Float.MIN_VALUE : 0);
    }
    String text = Float32Codec.toBase64(values);
    assertEquals(Float32Codec.base64Length(n), text.length());
    assertArrayEquals(values, Float32Codec.fromBase64(text, n));
  }

  @Test
  @DisplayName("the wire form is little-endian float32 in base64url without padding")
  void wireFormIsLittleEndianBase64Url() {
    // 1.0f is 0x3F800000: little-endian bytes 00 00 80 3F; -0.0f is 0x80000000.
    String text = Float32Codec.toBase64(new float[] {1.0f, -0.0f, Float.intBitsToFloat(0xFBFF03FE)});
    byte[] bytes = Base64.getUrlDecoder().decode(text);
    assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, (byte) 0x80, (byte) 0xFE, 0x03, (byte) 0xFF,
        (byte) 0xFB}, bytes);
    assertFalse(text.contains("="), "no padding");
    assertFalse(text.contains("+") || text.contains("/"), "url alphabet");
    assertTrue(text.contains("-") || text.contains("_"), "this payload exercises the url alphabet: " + text);
  }

  @Test
  void slicesEncodeOnlyTheirRange() {
    float[] values = {1, 2, 3, 4, 5, 6};
    assertArrayEquals(new float[] {3, 4, 5}, Float32Codec.fromBase64(Float32Codec.toBase64(values, 2, 3), 3));
  }

  @Test
  void wrongLengthIsRefusedWithAReason() {
    String text = Float32Codec.toBase64(new float[] {1, 2, 3});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Float32Codec.fromBase64(text, 4));
    assertTrue(e.getMessage().contains("4 float32 values take"), e.getMessage());
  }

  @Test
  void nonFiniteValuesAreRefused() {
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      String text = Float32Codec.toBase64(new float[] {0, bad});
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Float32Codec.fromBase64(text, 2));
      assertTrue(e.getMessage().startsWith("value 1 is"), e.getMessage());
    }
  }

  @Test
  void standardBase64AlphabetIsRefused() {
    byte[] bytes = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(-2e-38f).putFloat(3e38f).array();
    String standard = Base64.getEncoder().withoutPadding().encodeToString(bytes);
    assertTrue(standard.contains("+") || standard.contains("/"), standard);
    assertThrows(IllegalArgumentException.class, () -> Float32Codec.fromBase64(standard, 3));
  }

  @Test
  void bytesRoundTrip() {
    float[] values = {0.5f, -3.25f, 1e-7f};
    assertArrayEquals(values, Float32Codec.fromBytes(Float32Codec.toBytes(values)));
    assertThrows(IllegalArgumentException.class, () -> Float32Codec.fromBytes(new byte[5]));
  }
}

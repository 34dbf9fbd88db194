package brain.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DigesterTest {
  /** The id as docs/PROTOCOL.md defines it, computed here in one piece. */
  private static String expected(float[] data, int offset, int rows, int cols) throws Exception {
    ByteBuffer bytes = ByteBuffer.allocate(8 + rows * cols * 4).order(ByteOrder.LITTLE_ENDIAN).putInt(rows).putInt(cols);
    for (int i = 0; i < rows * cols; i++) {
      bytes.putFloat(data[offset + i]);
    }
    return "d-" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()), 0, 16);
  }

  @Test
  @DisplayName("one digester reused for many items gives each the id of its own shape and values (tiny rows and items larger than its buffer)")
  void reusedDigesterIdsAreTheItems() throws Exception {
    float[] data = new float[300 * 100];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) Math.sin(i);
    }
    JobInputs.Digester digester = new JobInputs.Digester();
    for (int row = 0; row < 5; row++) {
      assertEquals(expected(data, row * 16, 1, 16), digester.digest(data, row * 16, 1, 16));
    }
    assertEquals(expected(data, 0, 300, 100), digester.digest(data, 0, 300, 100), "120 KB: more than one buffer");
    assertEquals(expected(data, 100, 2, 8), digester.digest(data, 100, 2, 8));
    assertNotEquals(digester.digest(data, 0, 2, 8), digester.digest(data, 0, 1, 16), "same values, another shape");
  }

  @Test
  @DisplayName("an item held as little-endian bytes (a small generated job's) gets the same id as from its floats")
  void heldBytesHaveTheSameIds() throws Exception {
    float[] data = new float[40 * 30];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) Math.cos(i);
    }
    byte[] bytes = brain.model.Float32Codec.toBytes(data);
    JobInputs.Digester digester = new JobInputs.Digester();
    assertEquals(expected(data, 0, 40, 30), digester.digest(40, 30, bytes, 0));
    assertEquals(expected(data, 16 * 30, 8, 30), digester.digest(8, 30, bytes, 16 * 30 * 4), "a slice of A");
  }
}

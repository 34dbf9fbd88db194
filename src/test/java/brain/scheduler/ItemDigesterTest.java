package brain.scheduler;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ItemDigesterTest {
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
    ItemDigester digester = new ItemDigester();
    for (int row = 0; row < 5; row++) {
      assertEquals(expected(data, row * 16, 1, 16), digester.digest(data, row * 16, 1, 16));
    }
    assertEquals(expected(data, 0, 300, 100), digester.digest(data, 0, 300, 100), "120 KB: more than one buffer");
    assertEquals(expected(data, 100, 2, 8), digester.digest(data, 100, 2, 8));
    assertNotEquals(digester.digest(data, 0, 2, 8), digester.digest(data, 0, 1, 16), "same values, another shape");
  }

  @Test
  @DisplayName("a generated slice's id names the slice: the same in another job of that seed and stride, another for any other")
  void generatedIdsNameTheSlice() {
    ItemDigester digester = new ItemDigester();
    String rows16to31 = digester.generated('a', 7, 512, 16, 16, 0, 512);
    assertEquals(rows16to31, new ItemDigester().generated('a', 7, 512, 16, 16, 0, 512), "a replay, or a taller A");
    assertTrue(rows16to31.matches("g-[0-9a-f]{32}"), rows16to31);
    java.util.Set<String> others = new java.util.HashSet<>(java.util.List.of(rows16to31,
        digester.generated('b', 7, 512, 16, 16, 0, 512), // B's stream
        digester.generated('a', 8, 512, 16, 16, 0, 512), // another seed
        digester.generated('a', 7, 511, 16, 16, 0, 511), // another stride: other values
        digester.generated('a', 7, 512, 0, 16, 0, 512),
        digester.generated('a', 7, 512, 16, 8, 0, 512),
        digester.generated('b', 7, 512, 0, 512, 256, 256), // a B panel
        digester.generated('b', 7, 512, 0, 512, 0, 256)));
    assertEquals(8, others.size(), "every other slice has another id: " + others);
  }

  @Test
  @DisplayName("a job's items: generated inputs get slice ids, uploaded matrices content ids, and both serve the same A and B")
  void jobItemIds(@org.junit.jupiter.api.io.TempDir java.nio.file.Path storage) throws Exception {
    brain.model.JobSpec generated = brain.model.JobSpec.fromStored(new io.vertx.core.json.JsonObject().put("rowsA", 64)
        .put("colsA", 48).put("colsB", 40).put("seed", 5L).put("verify", "auto"));
    JobInputs inputs = JobInputs.prepare("j-1", generated, brain.model.ChunkPlan.of(64, 40, 16), 262_144, 0, 8, storage,
        1 << 20);
    JobInputs replay = JobInputs.prepare("j-2", generated, brain.model.ChunkPlan.of(64, 40, 16), 262_144, 0, 8, storage,
        1 << 20);
    assertEquals(inputs.bItemOf(0).id(), replay.bItemOf(0).id(), "a replay names the same B: a worker's cache hits");
    assertEquals(inputs.aItems[3].id(), replay.aItems[3].id());
    assertTrue(inputs.aItems[0].id().startsWith("g-"));
    assertNotEquals(inputs.aItems[0].id(), inputs.aItems[1].id());
    float[] a = brain.model.InputGenerator.a(5, 64, 48).data();
    assertArrayEquals(brain.model.Float32Codec.toBytes(java.util.Arrays.copyOfRange(a, 16 * 48, 32 * 48)),
        inputs.aItems[1].held().getBytes(), "the item holds the rows its id names");

    brain.matrix.MatrixFiles.writeRaw(brain.model.InputGenerator.a(5, 64, 48), storage.resolve("m-a.f32"));
    brain.matrix.MatrixFiles.writeRaw(brain.model.InputGenerator.b(5, 48, 40), storage.resolve("m-b.f32"));
    brain.model.JobSpec uploaded = brain.model.JobSpec.fromStored(new io.vertx.core.json.JsonObject().put("rowsA", 64)
        .put("colsA", 48).put("colsB", 40).put("seed", 0L).put("verify", "auto").put("a", "m-a").put("b", "m-b"));
    JobInputs fromFiles = JobInputs.prepare("j-3", uploaded, brain.model.ChunkPlan.of(64, 40, 16), 262_144, 0, 8, storage,
        1 << 20);
    assertEquals(expected(a, 16 * 48, 16, 48), fromFiles.aItems[1].id(), "an uploaded matrix's rows: their content id");
    assertNull(fromFiles.aItems[1].held(), "streamed from the matrix's file");
    assertEquals(storage.resolve("m-a.f32"), fromFiles.aItems[1].file());
  }
}

package brain.model;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class InputGeneratorTest {

  @Test
  @DisplayName("the same seed gives the same inputs; another seed other inputs")
  void deterministic() {
    assertArrayEquals(InputGenerator.a(99, 17, 5).data(), InputGenerator.a(99, 17, 5).data());
    assertArrayEquals(InputGenerator.b(99, 5, 9).data(), InputGenerator.b(99, 5, 9).data());
    assertNotEquals(InputGenerator.a(99, 17, 5).data()[0], InputGenerator.a(100, 17, 5).data()[0]);
  }

  @Test
  @DisplayName("value i does not depend on the matrix shape, so a slice can be generated alone")
  void counterBased() {
    float[] wide = InputGenerator.a(5, 4, 6).data();
    float[] tall = InputGenerator.a(5, 6, 4).data();
    assertArrayEquals(wide, tall);
    assertNotEquals(InputGenerator.a(5, 1, 1).get(0, 0), InputGenerator.b(5, 1, 1).get(0, 0), "A and B differ");
  }

  @Test
  void valuesAreInMinusOneToOneAndSpreadOut() {
    float[] values = InputGenerator.a(1, 1000, 100).data();
    double sum = 0;
    for (float v : values) {
      assertTrue(v >= -1f && v < 1f, "value " + v);
      sum += v;
    }
    assertEquals(0, sum / values.length, 0.01, "mean near zero");
  }

  @Test
  @DisplayName("pinned: the documented SplitMix64 mapping, so other languages can reproduce inputs")
  void pinnedValues() {
    // SplitMix64 with seed 0: first output 0xE220A8397B1DCDAF; top 24 bits 0xE220A8 = 14819496;
    // 14819496 / 2^23 - 1 = 0.766595...
    assertEquals(14819496 / 8388608.0f - 1.0f, InputGenerator.a(0, 1, 1).get(0, 0));
  }
}

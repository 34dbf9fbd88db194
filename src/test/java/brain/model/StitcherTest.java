package brain.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StitcherTest {

  @Test
  void slicesArrivingInAnyOrderRebuildTheMatrix() {
    int rows = 157;
    int cols = 71;
    float[] expected = new float[rows * cols];
    Random random = new Random(7);
    for (int i = 0; i < expected.length; i++) {
      expected[i] = random.nextFloat();
    }
    ChunkPlan plan = ChunkPlan.of(rows, 16);
    List<ChunkPlan.Chunk> order = new ArrayList<>(plan.chunks());
    Collections.shuffle(order, random);
    Stitcher stitcher = new Stitcher(rows, cols);
    for (ChunkPlan.Chunk chunk : order) {
      float[] slice = new float[chunk.rows() * cols];
      System.arraycopy(expected, chunk.rowStart() * cols, slice, 0, slice.length);
      stitcher.put(chunk.rowStart(), chunk.rows(), slice);
    }
    assertArrayEquals(expected, stitcher.result().data());
  }

  @Test
  void refusesSlicesThatDoNotFit() {
    Stitcher stitcher = new Stitcher(10, 4);
    assertThrows(IllegalArgumentException.class, () -> stitcher.put(8, 3, new float[12]), "past the last row");
    assertThrows(IllegalArgumentException.class, () -> stitcher.put(0, 2, new float[7]), "wrong length");
    assertThrows(IllegalArgumentException.class, () -> stitcher.put(-1, 1, new float[4]), "negative start");
  }
}

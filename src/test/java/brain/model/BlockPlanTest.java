package brain.model;

import static org.junit.jupiter.api.Assertions.*;

import brain.checkpoint.ChunkLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** 2-D blocks: the plan covers C once, blocks fit the budget, stitch, check, and checkpoint as blocks. */
class BlockPlanTest {

  @Test
  @DisplayName("blocks cover every value of C exactly once, column panel by column panel")
  void blocksCoverC() {
    ChunkPlan plan = ChunkPlan.blocks(100, 70, 30, 25);
    assertTrue(plan.blocked());
    assertEquals(4, plan.rowPanels());
    assertEquals(3, plan.panels());
    assertEquals(12, plan.size());
    int[][] seen = new int[100][70];
    for (ChunkPlan.Chunk c : plan.chunks()) {
      assertEquals(c.index() / 4, c.panel(plan), "column panel major: four row panels per column panel");
      for (int i = c.rowStart(); i < c.rowStart() + c.rows(); i++) {
        for (int j = c.colStart(); j < c.colStart() + c.cols(); j++) {
          seen[i][j]++;
        }
      }
    }
    for (int[] row : seen) {
      for (int v : row) {
        assertEquals(1, v);
      }
    }
    assertEquals(List.of(1, 5, 9), plan.chunksOfRow(31));
    assertFalse(ChunkPlan.of(100, 70, 30).blocked());
    assertEquals(List.of(2), ChunkPlan.of(100, 70, 30).chunksOfRow(61));
  }

  @Test
  @DisplayName("block sides fit the budget, are evened out, and are null only when a 1×k·k×1 block cannot fit")
  void sidesFitBudget() {
    for (long budget : new long[] {1 << 20, 32L << 20, 5_000_000}) {
      for (int[] shape : new int[][] {{384, 512, 640}, {4096, 4096, 4096}, {3000, 2000, 100}, {10, 8000, 9000}}) {
        int[] sides = ChunkPlan.blockSides(shape[0], shape[1], shape[2], budget, Long.MAX_VALUE);
        assertNotNull(sides);
        assertTrue(ChunkPlan.chunkMemoryBytes(sides[0], shape[1], sides[1]) <= budget,
            java.util.Arrays.toString(shape) + " in " + budget + ": " + java.util.Arrays.toString(sides));
        assertTrue(sides[0] >= 1 && sides[0] <= shape[0] && sides[1] >= 1 && sides[1] <= shape[2]);
      }
    }
    assertArrayEquals(new int[] {192, 160}, ChunkPlan.blockSides(384, 512, 640, 1 << 20, Long.MAX_VALUE));
    int[] big = ChunkPlan.blockSides(4096, 4096, 4096, 32L << 20, Long.MAX_VALUE);
    assertTrue(big[0] >= 800 && big[1] >= 800, "about square: " + big[0] + "x" + big[1]);
    assertTrue(ChunkPlan.blockSides(10, 100_000, 10, 1 << 20, Long.MAX_VALUE) != null);
    assertNull(ChunkPlan.blockSides(10, 200_000, 10, 1 << 20, Long.MAX_VALUE), "2k+1 floats exceed 1 MiB");
    int[] panelBound = ChunkPlan.blockSides(4096, 4096, 4096, 32L << 20, 2 << 20);
    assertTrue((long) panelBound[0] * 4096 * 4 <= 2 << 20, "an A panel fits one message");
  }

  @Test
  @DisplayName("blocks stitched in any order give C; each block passes the grouped check against its B panel, a wrong value fails it")
  void stitchAndCheckBlocks() {
    Matrix a = InputGenerator.a(7, 50, 40);
    Matrix b = InputGenerator.b(7, 40, 33);
    Matrix c = multiply(a, b);
    ChunkPlan plan = ChunkPlan.blocks(50, 33, 16, 10);
    Stitcher stitcher = new Stitcher(50, 33);
    List<ChunkPlan.Chunk> reversed = new java.util.ArrayList<>(plan.chunks());
    java.util.Collections.reverse(reversed);
    for (ChunkPlan.Chunk chunk : reversed) {
      Matrix panel = b.columns(chunk.colStart(), chunk.cols());
      float[] block = block(c, chunk);
      Freivalds check = Freivalds.prepare(panel, 2, new SplittableRandom(chunk.index()));
      assertTrue(check.checkSlice(a, chunk.rowStart(), chunk.rows(), block).passed(), "block " + chunk);
      float[] wrong = block.clone();
      wrong[wrong.length / 2] += 1f;
      assertFalse(check.checkSlice(a, chunk.rowStart(), chunk.rows(), wrong).passed(), "a wrong value in " + chunk);
      stitcher.put(chunk.rowStart(), chunk.rows(), chunk.colStart(), chunk.cols(), block);
    }
    assertArrayEquals(c.data(), stitcher.result().data());
  }

  @Test
  @DisplayName("a checkpoint of blocks reads back each block with its columns, in place in C's rows")
  void checkpointBlocks() throws Exception {
    Path dir = Files.createTempDirectory("brain-blocks");
    Matrix c = InputGenerator.a(3, 20, 30);
    ChunkPlan plan = ChunkPlan.blocks(20, 30, 8, 12);
    try (ChunkLog log = ChunkLog.open(dir, "job", 30)) {
      for (ChunkPlan.Chunk chunk : plan.chunks()) {
        log.append(new ChunkLog.Entry(chunk.index(), chunk.rowStart(), chunk.rows(), 1, "w-1", "w", "local", 1, 1, 0,
            chunk.colStart(), chunk.cols()), block(c, chunk));
      }
    }
    List<ChunkLog.Accepted> back = ChunkLog.read(dir, "job", 30);
    assertEquals(plan.size(), back.size());
    Set<Integer> seen = new HashSet<>();
    for (ChunkLog.Accepted accepted : back) {
      ChunkPlan.Chunk chunk = plan.get(accepted.entry().chunk());
      assertEquals(chunk.colStart(), accepted.entry().colStart());
      assertEquals(chunk.cols(), accepted.entry().cols(30));
      assertArrayEquals(block(c, chunk), accepted.values());
      seen.add(chunk.index());
    }
    assertEquals(plan.size(), seen.size());
    // The part file is C itself, row-major.
    java.nio.ByteBuffer part = java.nio.ByteBuffer.wrap(Files.readAllBytes(ChunkLog.partFile(dir, "job")))
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    float[] whole = new float[20 * 30];
    part.asFloatBuffer().get(whole);
    assertArrayEquals(c.data(), whole);
  }

  private static Matrix multiply(Matrix a, Matrix b) {
    float[] out = new float[a.rows() * b.cols()];
    for (int i = 0; i < a.rows(); i++) {
      for (int j = 0; j < b.cols(); j++) {
        float s = 0;
        for (int p = 0; p < a.cols(); p++) {
          s += a.get(i, p) * b.get(p, j);
        }
        out[i * b.cols() + j] = s;
      }
    }
    return new Matrix(a.rows(), b.cols(), out);
  }

  private static float[] block(Matrix c, ChunkPlan.Chunk chunk) {
    float[] out = new float[chunk.rows() * chunk.cols()];
    for (int i = 0; i < chunk.rows(); i++) {
      System.arraycopy(c.data(), c.offsetOf(chunk.rowStart() + i) + chunk.colStart(), out, i * chunk.cols(), chunk.cols());
    }
    return out;
  }
}

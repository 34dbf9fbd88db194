package brain.model;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChunkPlanTest {

  @ParameterizedTest(name = "{0} rows in chunks of {1}: every row exactly once, in order")
  @CsvSource({"1,1", "1,16", "157,16", "160,16", "500,63", "7,3", "1000,1"})
  void everyRowBelongsToExactlyOneChunk(int rows, int chunkRows) {
    ChunkPlan plan = ChunkPlan.of(rows, chunkRows);
    int next = 0;
    for (int i = 0; i < plan.size(); i++) {
      ChunkPlan.Chunk chunk = plan.get(i);
      assertEquals(i, chunk.index());
      assertEquals(next, chunk.rowStart());
      assertTrue(chunk.rows() >= 1 && chunk.rows() <= plan.chunkRows());
      next += chunk.rows();
    }
    assertEquals(rows, next);
    assertEquals((rows + Math.min(rows, chunkRows) - 1) / Math.min(rows, chunkRows), plan.size());
  }

  @Test
  void autoSizingGivesEachWorkerSeveralChunks() {
    int rows = ChunkPlan.autoChunkRows(1000, 300, 400, 5, 4, 1 << 21, 1);
    assertEquals(50, rows); // 1000 rows / (5 workers × 4 chunks)
  }

  @Test
  void autoSizingRespectsTheMessageBudget() {
    // 4096 columns of float32 are 16 KiB a row: a 64 KiB budget allows 4 rows.
    assertEquals(4, ChunkPlan.autoChunkRows(4096, 4096, 4096, 1, 1, 64 * 1024, 1));
    assertEquals(4, ChunkPlan.maxRowsWithin(4096, 10, 64 * 1024));
    assertEquals(4, ChunkPlan.maxRowsWithin(10, 4096, 64 * 1024), "C's rows count too");
  }

  @Test
  void autoSizingAvoidsChunksTooSmallToBeWorthAMessage() {
    // 100 workers would get a row each, but a 10×10 row is 100 multiply-adds: chunks grow to the minimum.
    assertEquals(40, ChunkPlan.autoChunkRows(200, 10, 10, 100, 4, 1 << 21, 4000));
  }

  @Test
  void autoSizingNeverExceedsTheRowsOrGoesBelowOne() {
    assertEquals(3, ChunkPlan.autoChunkRows(3, 5, 5, 1, 1, 1 << 21, 1 << 30));
    assertEquals(1, ChunkPlan.autoChunkRows(3, 1 << 20, 1, 1, 1, 16, 1));
  }

  @Test
  void rejectsEmptyPlans() {
    assertThrows(IllegalArgumentException.class, () -> ChunkPlan.of(0, 4));
    assertThrows(IllegalArgumentException.class, () -> ChunkPlan.of(4, 0));
  }
}

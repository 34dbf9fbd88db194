package brain.scheduler;

import static org.junit.jupiter.api.Assertions.*;

import brain.model.ChunkPlan;
import brain.model.JobSpec;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which plan a job gets, and the same plan again when it resumes after a failover or restart. */
class JobPlansTest {
  private static JobSpec spec(int m, int k, int n) {
    return JobSpec.fromStored(new io.vertx.core.json.JsonObject().put("rowsA", m).put("colsA", k).put("colsB", n)
        .put("seed", 1L).put("verify", "none"));
  }

  @Test
  @DisplayName("row slices when B and a row fit the smallest budget (or none is declared); blocks otherwise; resumed from chunk rows and count alone")
  void planAndResume() {
    JobSpec small = spec(157, 93, 71);
    assertFalse(JobPlans.choose(small, 16, Long.MAX_VALUE, 2 << 20).blocked());
    assertEquals(16, JobPlans.choose(small, 16, 1 << 20, 2 << 20).chunkRows(), "the row plan as today");
    int[][] shapes = {{384, 512, 640}, {4096, 4096, 4096}, {1000, 3000, 999}, {7, 20000, 5000}};
    long[] budgets = {1 << 20, 8L << 20, 32L << 20};
    for (int[] shape : shapes) {
      for (long budget : budgets) {
        JobSpec s = spec(shape[0], shape[1], shape[2]);
        ChunkPlan plan = JobPlans.choose(s, 64, budget, 16L << 20);
        if (ChunkPlan.chunkMemoryBytes(1, shape[1], shape[2]) > budget) {
          assertTrue(plan.blocked(), java.util.Arrays.toString(shape) + " in " + budget);
        }
        assertTrue(ChunkPlan.chunkMemoryBytes(plan.chunkRows(), shape[1], plan.blockCols()) <= budget
            || ChunkPlan.chunkMemoryBytes(1, shape[1], 1) > budget);
        ChunkPlan again = JobPlans.resumed(s, plan.chunkRows(), plan.size());
        assertEquals(plan.chunks(), again.chunks(), "resumed " + java.util.Arrays.toString(shape) + " in " + budget);
      }
    }
  }
}

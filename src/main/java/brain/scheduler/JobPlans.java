package brain.scheduler;

import brain.model.ChunkPlan;
import brain.model.JobSpec;
import java.util.Collection;

/**
 * How a job is cut when it starts. Row slices (A's rows × all of B) whenever B and a slice fit
 * the smallest memory budget among the live workers: today's plan, unchanged. Otherwise 2-D
 * blocks (a row panel of A × a column panel of B), as large and square as that budget allows.
 * Budgets under {@code scheduler.minMemoryBytes} do not shrink the plan: such a worker gets no
 * chunk of a job that does not fit it, and the job waits for the others.
 */
final class JobPlans {
  private JobPlans() {}

  /** The smallest declared budget among listening workers, at least {@code floor}; MAX_VALUE when none declares one. */
  static long smallestBudget(Collection<WorkerSession> sessions, long floor) {
    long smallest = Long.MAX_VALUE;
    for (WorkerSession s : sessions) {
      if (s.listening && s.memoryBytes != Long.MAX_VALUE) {
        smallest = Math.min(smallest, Math.max(floor, s.memoryBytes));
      }
    }
    return smallest;
  }

  /**
   * {@code chunkRows}: the row-slice height it would have today (the requestor's, the resumed
   * plan's, or the automatic one); for a resumed block job it is the block height it started with.
   */
  static ChunkPlan choose(JobSpec spec, int chunkRows, long budget, long maxPanelBytes) {
    int m = spec.rowsA();
    int k = spec.colsA();
    int n = spec.colsB();
    if (budget == Long.MAX_VALUE || ChunkPlan.chunkMemoryBytes(1, k, n) <= budget) {
      int fit = budget == Long.MAX_VALUE ? chunkRows : Math.max(1, ChunkPlan.maxSliceRowsWithin(k, n, budget));
      return ChunkPlan.of(m, n, Math.min(chunkRows, fit));
    }
    int[] sides = ChunkPlan.blockSides(m, k, n, budget, maxPanelBytes);
    if (sides == null) {
      // Not even a 1×1 block fits: one row × one column, taken only by workers it fits.
      return ChunkPlan.blocks(m, n, 1, 1);
    }
    return ChunkPlan.blocks(m, n, sides[0], sides[1]);
  }

  /**
   * The plan a job resumed after a failover or restart started with, from what its row keeps:
   * its chunk rows and its count of chunks. More chunks than row panels means 2-D blocks, over
   * chunksTotal / rowPanels column panels; their width is C's columns evened out over them, as
   * {@link ChunkPlan#blockSides} evens them out. Its checkpointed chunks then match, whatever the
   * budgets of the workers present now.
   */
  static ChunkPlan resumed(JobSpec spec, int chunkRows, int chunksTotal) {
    int m = spec.rowsA();
    int n = spec.colsB();
    int rowPanels = (m + chunkRows - 1) / Math.max(1, chunkRows);
    int panels = chunksTotal / Math.max(1, rowPanels);
    if (panels <= 1 || (long) panels * rowPanels != chunksTotal) {
      return ChunkPlan.of(m, n, chunkRows);
    }
    return ChunkPlan.blocks(m, n, chunkRows, (n + panels - 1) / panels);
  }
}

package brain.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the grid's SQLite file says about credit, read with plain JDBC: the per-chunk table
 * {@code chunk_credits (job_id, chunk_index, worker_id, multiply_adds, compute_ms)} and the
 * {@code leaderboard}. Credits are flushed before a job's final status is announced, so these
 * may be read right after {@link TestGrid.JobWatch#finished}.
 */
public final class Credits {
  private Credits() {}

  /** One row of chunk_credits. */
  public record Credit(String jobId, int chunkIndex, String workerId, long multiplyAdds, double computeMs) {}

  /** One row of leaderboard. */
  public record Standing(String workerId, String displayName, double totalComputeMs, long tasksCompleted,
      long verifiedMultiplyAdds) {}

  public static List<Credit> ofJob(TestGrid grid, String jobId) {
    return credits(grid, "SELECT job_id, chunk_index, worker_id, multiply_adds, compute_ms FROM chunk_credits"
        + " WHERE job_id = ? ORDER BY chunk_index", jobId);
  }

  public static List<Credit> ofWorker(TestGrid grid, String workerId) {
    return credits(grid, "SELECT job_id, chunk_index, worker_id, multiply_adds, compute_ms FROM chunk_credits"
        + " WHERE worker_id = ? ORDER BY job_id, chunk_index", workerId);
  }

  public static List<Credit> all(TestGrid grid) {
    return credits(grid, "SELECT job_id, chunk_index, worker_id, multiply_adds, compute_ms FROM chunk_credits"
        + " ORDER BY job_id, chunk_index", null);
  }

  private static List<Credit> credits(TestGrid grid, String sql, String parameter) {
    try (Connection db = grid.database(); PreparedStatement query = db.prepareStatement(sql)) {
      if (parameter != null) {
        query.setString(1, parameter);
      }
      List<Credit> out = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          out.add(new Credit(rows.getString(1), rows.getInt(2), rows.getString(3), rows.getLong(4), rows.getDouble(5)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new AssertionError("could not read chunk_credits: " + e.getMessage(), e);
    }
  }

  /** The leaderboard, by worker id. */
  public static Map<String, Standing> leaderboard(TestGrid grid) {
    try (Connection db = grid.database(); ResultSet rows = db.createStatement().executeQuery(
        "SELECT worker_id, display_name, total_compute_ms, tasks_completed, verified_multiply_adds FROM leaderboard")) {
      Map<String, Standing> out = new TreeMap<>();
      while (rows.next()) {
        out.put(rows.getString(1), new Standing(rows.getString(1), rows.getString(2), rows.getDouble(3), rows.getLong(4),
            rows.getLong(5)));
      }
      return out;
    } catch (SQLException e) {
      throw new AssertionError("could not read leaderboard: " + e.getMessage(), e);
    }
  }

  /** No leaderboard row and no chunk_credits row for {@code workerId}. */
  public static void assertNoCredit(TestGrid grid, String workerId, String who) {
    Map<String, Standing> board = leaderboard(grid);
    assertTrue(!board.containsKey(workerId), who + " (" + workerId + ") has a leaderboard row: " + board.get(workerId));
    List<Credit> credited = ofWorker(grid, workerId);
    assertTrue(credited.isEmpty(), who + " (" + workerId + ") was credited: " + credited);
  }

  /**
   * Every chunk of the job has exactly one chunk_credits row, and the rows' multiply-adds add
   * up to the job's rowsA·colsA·colsB. Answers the rows, by chunk.
   */
  public static Map<Integer, Credit> assertEachChunkCreditedOnce(TestGrid grid, String jobId, int chunksTotal,
      long rowsA, long colsA, long colsB) {
    List<Credit> credits = ofJob(grid, jobId);
    Map<Integer, Credit> byChunk = new TreeMap<>();
    for (Credit credit : credits) {
      assertTrue(byChunk.put(credit.chunkIndex(), credit) == null, "chunk " + credit.chunkIndex() + " credited twice: "
          + credits);
    }
    assertEquals(chunksTotal, credits.size(), "one chunk_credits row per chunk of job " + jobId + ": " + credits);
    for (int i = 0; i < chunksTotal; i++) {
      assertTrue(byChunk.containsKey(i), "chunk " + i + " of job " + jobId + " has no credit: " + credits);
    }
    long adds = credits.stream().mapToLong(Credit::multiplyAdds).sum();
    assertEquals(rowsA * colsA * colsB, adds, "the credited multiply-adds of job " + jobId + " add up to its product's");
    return byChunk;
  }

  /**
   * The leaderboard is the sum of chunk_credits: its tasks_completed add up to the rows of
   * chunk_credits (also per worker), its verified_multiply_adds to their multiply_adds, and
   * every worker on it was credited at least once.
   */
  public static void assertLeaderboardAddsUp(TestGrid grid) {
    Map<String, Standing> board = leaderboard(grid);
    List<Credit> credits = all(grid);
    long tasks = board.values().stream().mapToLong(Standing::tasksCompleted).sum();
    assertEquals(credits.size(), tasks, "sum of tasks_completed over the leaderboard = chunks credited");
    Map<String, Long> chunksByWorker = new HashMap<>();
    Map<String, Long> addsByWorker = new HashMap<>();
    for (Credit credit : credits) {
      chunksByWorker.merge(credit.workerId(), 1L, Long::sum);
      addsByWorker.merge(credit.workerId(), credit.multiplyAdds(), Long::sum);
    }
    for (Standing standing : board.values()) {
      assertTrue(chunksByWorker.containsKey(standing.workerId()),
          "leaderboard row for a worker never credited: " + standing);
      assertEquals(chunksByWorker.get(standing.workerId()), standing.tasksCompleted(),
          "tasks_completed of " + standing.workerId() + " = its chunk_credits rows");
      assertEquals(addsByWorker.get(standing.workerId()), standing.verifiedMultiplyAdds(),
          "verified_multiply_adds of " + standing.workerId() + " = its credited multiply_adds");
    }
    for (String credited : chunksByWorker.keySet()) {
      assertTrue(board.containsKey(credited), "credited worker " + credited + " has no leaderboard row");
    }
  }
}

package brain.bench;

import static brain.bench.BenchGrid.await;

import brain.model.ChunkPlan;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Issue 13 item 3: a job bigger than any worker. m×k·k×n on answering workers that each declare
 * {@code budget} bytes, in a server of its own (A panels up to 16 MiB in one message, checks
 * off): the plan the server chose, and the bytes moved against the least that decomposition
 * needs.
 *
 * <p>The minimum, in float32 bytes: C once, plus for every block the smaller of its two panels
 * (a worker holds one block's panels, so from one block to the next on the same worker it keeps
 * at most one of them and must receive the other), plus for every worker used its first block's
 * other panel (at least the smallest max(|A_i|, |B_j|) over the blocks); and never less than
 * |A| + |B| + |C|. Measured: the float32 payload the workers received and sent (A and B in, C
 * out) and, separately, every byte on their wires: bridge frames and HTTP requests and answers
 * of the data plane, headers included.
 */
final class BlocksBench {
  private BlocksBench() {}

  record Figure(ChunkPlan plan, int workersUsed, long minimumBytes, long payloadBytes, long socketBytes,
      long largestChunkBytes, double wallMs) {
    double payloadRatio() {
      return (double) payloadBytes / minimumBytes;
    }

    double socketRatio() {
      return (double) socketBytes / minimumBytes;
    }

    JsonObject json() {
      return new JsonObject().put("blockRows", plan.chunkRows()).put("blockCols", plan.blockCols())
          .put("blocks", plan.size()).put("workersUsed", workersUsed).put("minimumBytes", minimumBytes)
          .put("payloadBytes", payloadBytes).put("wireBytes", socketBytes).put("payloadRatio", payloadRatio())
          .put("wireRatio", socketRatio()).put("largestChunkBytes", largestChunkBytes).put("wallMs", wallMs);
    }
  }

  /** The least bytes that plan needs on {@code workers} workers (see the class comment). */
  static long minimumBytes(ChunkPlan plan, int k, int workers) {
    long min = (long) plan.totalRows() * plan.totalCols();
    long smallestMax = Long.MAX_VALUE;
    for (ChunkPlan.Chunk c : plan.chunks()) {
      long a = (long) c.rows() * k;
      long b = (long) k * c.cols();
      min += Math.min(a, b);
      smallestMax = Math.min(smallestMax, Math.max(a, b));
    }
    min += (long) Math.min(workers, plan.size()) * smallestMax;
    long everything = (long) plan.totalRows() * k + (long) k * plan.totalCols() + (long) plan.totalRows() * plan.totalCols();
    return Math.max(min, everything) * Float.BYTES;
  }

  static Figure measure(int m, int k, int n, long budget, int workers, Consumer<String> progress) throws Exception {
    long maxPanelBytes = 16L << 20;
    Map<String, Object> config = Map.of("verify.chunkVectors", 0, "scheduler.maxChunkBytes", maxPanelBytes,
        "scheduler.maxRunningJobs", 1);
    try (BenchGrid grid = BenchGrid.inProcess(config)) {
      progress.accept("2-D blocks: " + m + "×" + k + "·" + k + "×" + n + " on " + workers + " workers declaring "
          + (budget >> 20) + " MiB ...");
      List<HeadlessWorker> started = new java.util.ArrayList<>();
      for (int i = 0; i < workers; i++) {
        started.add(await(HeadlessWorker.deploy(grid.clients(), grid.sockets(),
            HeadlessWorker.Options.of("127.0.0.1", grid.port(), "small-" + i, Engines.answering())
                .withSlots(1).withMemory(budget))));
      }
      grid.awaitWorkerCount(workers);
      long socketBefore = socketBytes(started);
      long t0 = System.nanoTime();
      JsonObject done = grid.finished(grid.submit(new JsonObject().put("rowsA", m).put("colsA", k).put("colsB", n)
          .put("verify", "none")));
      double wallMs = (System.nanoTime() - t0) / 1e6;
      if (!"completed".equals(done.getString("status"))) {
        throw new IllegalStateException("the block job did not complete: " + done.encode());
      }
      int[] sides = ChunkPlan.blockSides(m, k, n, budget, maxPanelBytes);
      ChunkPlan plan = ChunkPlan.blocks(m, n, sides[0], sides[1]);
      if (plan.size() != done.getInteger("chunksTotal")) {
        throw new IllegalStateException("the server cut " + done.getInteger("chunksTotal") + " blocks, expected " + plan.size());
      }
      long payload = 0;
      long largest = 0;
      int used = 0;
      for (HeadlessWorker w : started) {
        payload += w.payloadBytes();
        largest = Math.max(largest, w.largestChunkBytes());
        used += w.chunksDone() > 0 ? 1 : 0;
      }
      long socket = socketBytes(started) - socketBefore;
      started.forEach(w -> await(w.stop().otherwiseEmpty()));
      return new Figure(plan, used, minimumBytes(plan, k, used), payload, socket, largest, wallMs);
    }
  }

  private static long socketBytes(List<HeadlessWorker> workers) {
    // Both planes: the bridge socket (control, and protocol 1's base64) and the HTTP data plane.
    return workers.stream().mapToLong(w -> (w.client() == null ? 0 : w.client().bytesIn() + w.client().bytesOut())
        + w.httpBytes()).sum();
  }
}

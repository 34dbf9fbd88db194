package brain.bench;

import brain.worker.Engines;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the inline path ends (scheduler.inlineMaxBytes): the same small-chunk jobs on two servers
 * in this process, one sending every chunk inline on the bus (base64 in the bridge's JSON), one
 * over the data plane (a GET of A, a PUT of C), jobs alternating between them.
 */
final class InlineFigures extends Figures {
  /** rows per chunk, k (= n): per chunk A is rows·k floats, C rows·n, B k·n once per worker. */
  private static final int[][] SIZES = {{1, 16}, {4, 64}, {8, 128}, {16, 128}, {16, 256}, {32, 256}};
  private static final int CHUNKS = 512;
  private static final int WORKERS = 4;

  InlineFigures(Bench.Sink sink) {
    super(sink);
  }

  void threshold() throws Exception {
    progress.accept("inline or data plane: " + SIZES.length + " chunk sizes, " + CHUNKS + " chunks a job, on two servers ...");
    Map<String, Object> base = Map.of("verify.chunkVectors", 0, "scheduler.maxRunningJobs", 1);
    JsonArray figures = new JsonArray();
    try (BenchGrid inline = BenchGrid.inProcess(with(base, 1L << 20)); BenchGrid plane = BenchGrid.inProcess(with(base, 0L))) {
      inline.workers(WORKERS, "inline", Engines.answering(), 2);
      plane.workers(WORKERS, "plane", Engines.answering(), 2);
      for (int[] size : SIZES) {
        int chunkRows = size[0];
        int k = size[1];
        JsonObject spec = new JsonObject().put("rowsA", chunkRows * CHUNKS).put("colsA", k).put("colsB", k)
            .put("chunkRows", chunkRows).put("verify", "none");
        List<Double> inlineRates = new ArrayList<>();
        List<Double> planeRates = new ArrayList<>();
        // 3 unmeasured pairs (the JIT), then twice the usual repeats: neighbouring sizes differ by
        // less than one pair varies from the next.
        for (int r = -3; r < 2 * options.repeats(); r++) {
          double a = rate(inline, spec);
          double b = rate(plane, spec);
          if (r >= 0) {
            inlineRates.add(a);
            planeRates.add(b);
          }
        }
        double onBus = Stats.of(inlineRates).p50();
        double overHttp = Stats.of(planeRates).p50();
        long chunkBytes = 4L * chunkRows * k;
        figures.add(new JsonObject().put("rows", chunkRows).put("k", k).put("aBytes", chunkBytes).put("cBytes", chunkBytes)
            .put("bBytes", 4L * k * k).put("inlinePerSecond", onBus).put("dataPlanePerSecond", overHttp)
            .put("inlineRuns", new JsonArray(inlineRates)).put("dataPlaneRuns", new JsonArray(planeRates)));
        rows.add(new Bench.Row("inline or data plane",
            String.format(Locale.ROOT, "%d×%d·%d×%d chunks (A and C %s each, B %s), %d workers × 2 slots", chunkRows, k, k, k,
                bytes(chunkBytes), bytes(4L * k * k), WORKERS),
            String.format(Locale.ROOT, "inline %,.0f chunks/s, data plane %,.0f/s: data plane ÷ inline %.2f×", onBus,
                overHttp, overHttp / onBus),
            "(sets scheduler.inlineMaxBytes)", "n/a", null));
      }
      inline.stopWorkers();
      plane.stopWorkers();
    }
    results.put("inlineOrDataPlane", figures);
  }

  private static Map<String, Object> with(Map<String, Object> base, long inlineMaxBytes) {
    Map<String, Object> all = new java.util.HashMap<>(base);
    all.put("scheduler.inlineMaxBytes", inlineMaxBytes);
    return all;
  }

  private static double rate(BenchGrid grid, JsonObject spec) {
    long t0 = System.nanoTime();
    grid.finished(grid.submit(spec));
    return CHUNKS / ((System.nanoTime() - t0) / 1e9);
  }

  private static String bytes(long n) {
    return n < 1024 ? n + " B" : (n >> 10) + " KiB";
  }
}

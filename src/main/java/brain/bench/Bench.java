package brain.bench;

import brain.worker.Engines;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The benchmark of issue 3: how fast the grid is, measured, never asserted. Runs each
 * workload with headless workers over the real bridge, prints one table and writes it as JSON.
 * Figures that need the server's event bus (dispatch and reassignment latency, server heap)
 * are measured only with the server in this process. The figures themselves are measured by
 * {@link LatencyFigures}, {@link JobFigures} and {@link MachineFigures}; this class keeps their
 * order, the table and the JSON.
 */
public final class Bench {
  /**
   * Options: {@code server} null for a server in this process; {@code quick} for fewer, smaller
   * runs; {@code token} the API token for {@code server} (an admin's sees every job's feed).
   */
  public record Options(URI server, boolean quick, int repeats, Path out, String token) {}

  /** One line of the table. */
  record Row(String figure, String workload, String measured, String target, String original, Boolean met) {}

  /** What a family of figures writes to: the table rows and the JSON, in run order. */
  record Sink(Options options, Consumer<String> progress, List<Row> rows, JsonObject results) {}

  private final Options options;
  private final List<Row> rows = new ArrayList<>();
  private final JsonObject results = new JsonObject();
  private final Consumer<String> progress;
  private EnginesBench engines; // issue 12's table "engines", printed after this one

  public Bench(Options options, Consumer<String> progress) {
    this.options = options;
    this.progress = progress;
  }

  /** Runs everything; answers the JSON written. */
  public JsonObject run() throws Exception {
    return run(false);
  }

  /**
   * {@code wallOnly}: only the chunk throughput, the 512³ wall time beside the reference (with
   * the wire ratio) and the inline threshold, in a few minutes: what a change to the data plane is judged by.
   */
  public JsonObject run(boolean wallOnly) throws Exception {
    long started = System.nanoTime();
    results.put("startedAt", Instant.now().toString()).put("quick", options.quick())
        .put("server", options.server() == null ? "in-process" : options.server().toString())
        .put("machine", new JsonObject().put("cores", Runtime.getRuntime().availableProcessors())
            .put("maxHeapMb", Runtime.getRuntime().maxMemory() >> 20).put("java", System.getProperty("java.version")));
    if (!wallOnly) {
      engines = EnginesBench.measure(progress, options.quick()); // first, on a quiet machine
      results.put("engines", engines.json());
    }
    // Answering workers return zeros: the in-process server runs with its chunk check off.
    Map<String, Object> answering = Map.of("verify.chunkVectors", 0, "scheduler.maxRunningJobs", 1,
        "scheduler.maxWorkers", 5000, "heartbeat.intervalMs", 2000);
    Sink sink = new Sink(options, progress, rows, results);
    LatencyFigures latency = new LatencyFigures(sink);
    JobFigures jobs = new JobFigures(sink);
    MachineFigures machine = new MachineFigures(sink);
    try (BenchGrid grid = options.server() == null ? BenchGrid.inProcess(answering) : BenchGrid.remote(options.server(), options.token())) {
      warmUp(grid);
      if (!wallOnly) {
        latency.dispatchLatency(grid);
      }
      jobs.throughput(grid);
      jobs.jobWallTime(grid);
      if (!wallOnly) {
        jobs.scale(grid);
        latency.reassignment(grid);
      }
    }
    if (options.server() == null) {
      new InlineFigures(sink).threshold(); // two servers of its own, one inline, one over the data plane
    }
    if (!wallOnly) {
      if (options.server() == null) {
        machine.blocks(); // a server of its own, with its own settings
      }
      machine.aggregation();
      machine.efficiency();
      machine.heapPerIdleWorker();
    }
    results.put("seconds", Math.round((System.nanoTime() - started) / 1e8) / 10.0);
    results.put("table", new JsonArray(rows.stream().map(r -> new JsonObject().put("figure", r.figure())
        .put("workload", r.workload()).put("measured", r.measured()).put("target", r.target())
        .put("original", r.original()).put("met", r.met())).toList()));
    write();
    return results;
  }

  // ------------------------------------------------------------------ workloads

  static JsonObject tinyJob(int chunks) {
    return new JsonObject().put("rowsA", chunks).put("colsA", 16).put("colsB", 16).put("chunkRows", 1)
        .put("verify", "none");
  }

  private void warmUp(BenchGrid grid) {
    progress.accept("warming up (JIT) ...");
    grid.workers(8, "warm", Engines.answering(), 2);
    for (int i = 0; i < 3; i++) {
      grid.finished(grid.submit(tinyJob(3000)));
      grid.finished(grid.submit(new JsonObject().put("rowsA", 512).put("colsA", 512).put("colsB", 512)
          .put("chunkRows", 16).put("verify", "none")));
    }
    grid.stopWorkers();
  }

  // ------------------------------------------------------------------ output

  static JsonObject json(Stats stats) {
    return new JsonObject().put("count", stats.count()).put("p50", stats.p50()).put("p99", stats.p99())
        .put("max", stats.max());
  }

  /** The table, as printed. */
  public String table() {
    String[] head = {"figure", "workload", "measured", "target", "original (as reported)", "met"};
    List<String[]> lines = new ArrayList<>();
    lines.add(head);
    for (Row r : rows) {
      lines.add(new String[] {r.figure(), r.workload(), r.measured(), r.target(), r.original(),
          r.met() == null ? "–" : r.met() ? "yes" : "NO"});
    }
    StringBuilder out = new StringBuilder().append(TextTable.render(lines));
    return engines == null ? out.toString() : out.append('\n').append(engines.table()).toString();
  }

  private void write() throws java.io.IOException {
    Files.createDirectories(options.out());
    String stamp = Instant.now().toString().replace(":", "-");
    String text = results.encodePrettily();
    Files.writeString(options.out().resolve("bench-" + stamp + ".json"), text);
    Files.writeString(options.out().resolve("latest.json"), text);
  }
}

package brain.bench;

import static brain.bench.BenchGrid.await;

import brain.bus.Addresses;
import brain.model.ChunkPlan;
import brain.model.Stitcher;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import brain.worker.MatrixEngine;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The benchmark of issue 3: how fast the grid is, measured, never asserted. Runs each
 * workload with headless workers over the real bridge, prints one table and writes it as JSON.
 * Figures that need the server's event bus (dispatch and reassignment latency, server heap)
 * are measured only with the server in this process.
 */
public final class Bench {
  /**
   * Options: {@code server} null for a server in this process; {@code quick} for fewer, smaller
   * runs; {@code token} the API token for {@code server} (an admin's sees every job's feed).
   */
  public record Options(URI server, boolean quick, int repeats, Path out, String token) {}

  /** One line of the table. */
  record Row(String figure, String workload, String measured, String target, String original, Boolean met) {}

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
   * {@code wallOnly}: only the chunk throughput and the 512³ wall time beside the reference (with
   * the wire ratio), in a few minutes: what a change to the data plane is judged by.
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
    try (BenchGrid grid = options.server() == null ? BenchGrid.inProcess(answering) : BenchGrid.remote(options.server(), options.token())) {
      warmUp(grid);
      if (!wallOnly) {
        dispatchLatency(grid);
      }
      throughput(grid);
      jobWallTime(grid);
      if (!wallOnly) {
        scale(grid);
        reassignment(grid);
      }
    }
    if (!wallOnly) {
      if (options.server() == null) {
        blocks(); // a server of its own, with its own settings
      }
      aggregation();
      efficiency();
      heapPerIdleWorker();
    }
    results.put("seconds", Math.round((System.nanoTime() - started) / 1e8) / 10.0);
    results.put("table", new JsonArray(rows.stream().map(r -> new JsonObject().put("figure", r.figure())
        .put("workload", r.workload()).put("measured", r.measured()).put("target", r.target())
        .put("original", r.original()).put("met", r.met())).toList()));
    write();
    return results;
  }

  // ------------------------------------------------------------------ workloads

  private static JsonObject tinyJob(int chunks) {
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

  /**
   * Server send → worker receive, per chunk: an outbound interceptor stamps the send, the
   * worker its receipt (same clock, same process). Paced: each worker answers after a simulated
   * compute time (±50 % jitter) chosen so the grid is offered {@value #PACED_LOAD} chunks/s, below
   * saturation, where latency is the cost of dispatch itself. Saturated: answers come at once,
   * and latency is the queue (outstanding chunks ÷ throughput).
   */
  private void dispatchLatency(BenchGrid grid) {
    if (!grid.inProcess()) {
      rows.add(new Row("dispatch latency", "W = 1 … 1,000", "n/a (needs the server in this process)", "p99 ≤ 5 ms",
          "< 100 ms", null));
      return;
    }
    Map<String, Long> sent = new ConcurrentHashMap<>();
    io.vertx.core.Handler<DeliveryContext<Object>> stamp = ctx -> {
      if (ctx.message().address().startsWith(Addresses.WORKER_PRIVATE_PREFIX)
          && ctx.message().body() instanceof JsonObject body && "chunk".equals(body.getString("type"))) {
        sent.put(body.getString("assignmentId"), System.nanoTime());
      }
      ctx.next();
    };
    grid.serverVertx().eventBus().addOutboundInterceptor(stamp);
    JsonObject figures = new JsonObject();
    try {
      int[] sizes = options.quick() ? new int[] {1, 20, 200} : new int[] {1, 20, 200, 1000};
      for (int w : sizes) {
        long thinkMs = Math.max(20, w * 1000L / PACED_LOAD);
        Stats[] paced = latency(grid, sent, w, thinkMs, 5);
        figures.put("paced-" + w, json(paced[0]).put("thinkMs", thinkMs).put("afterStart", json(paced[1])));
        rows.add(new Row("dispatch latency", String.format(Locale.ROOT,
                "W = %,d, paced: %d ms ± 50 %% per chunk (%,d chunks/s offered)", w, thinkMs, w * 1000 / thinkMs),
            String.format(Locale.ROOT, "p50 %.2f ms, p99 %.2f ms; after the start burst p99 %.2f ms", paced[0].p50(),
                paced[0].p99(), paced[1].p99()),
            "p99 ≤ 5 ms" + (w == sizes[sizes.length - 1] ? "" : " (at 1,000)"), "< 100 ms",
            w == 1000 ? paced[0].p99() <= 5 : null));
      }
      int w = sizes[sizes.length - 1];
      Stats[] saturated = latency(grid, sent, w, 0, 10);
      figures.put("saturated-" + w, json(saturated[0]));
      rows.add(new Row("dispatch latency", String.format(Locale.ROOT, "W = %,d, saturated: answers at once", w),
          String.format(Locale.ROOT, "p50 %.2f ms, p99 %.2f ms", saturated[0].p50(), saturated[0].p99()),
          "(queueing: see throughput)", "n/a", null));
    } finally {
      grid.serverVertx().eventBus().removeOutboundInterceptor(stamp);
    }
    results.put("dispatchLatencyMs", figures);
  }

  private static final int PACED_LOAD = 2000;

  /**
   * One job of {@code perWorker} tiny chunks per worker. Answers the latencies of every chunk,
   * and of every chunk but each worker's first (those all leave at once when the job starts).
   */
  private Stats[] latency(BenchGrid grid, Map<String, Long> sent, int w, long thinkMs, int perWorker) {
    progress.accept("dispatch latency with " + w + " workers" + (thinkMs > 0 ? ", " + thinkMs + " ms per chunk" : ", saturated")
        + " ...");
    Map<String, Long> received = new ConcurrentHashMap<>();
    java.util.Set<String> firsts = ConcurrentHashMap.newKeySet();
    java.util.Set<HeadlessWorker> started = ConcurrentHashMap.newKeySet();
    java.util.Random jitter = new java.util.Random(w);
    for (HeadlessWorker worker : grid.workers(w, "lat", Engines.answering(), thinkMs > 0 ? 1 : 2)) {
      worker.behaviour((self, chunk) -> {
        received.put(chunk.assignmentId(), chunk.receivedNanos());
        if (started.add(self)) {
          firsts.add(chunk.assignmentId());
        }
        if (thinkMs == 0) {
          return false;
        }
        long delay = Math.max(1, (long) (thinkMs * (0.5 + jitter.nextDouble())));
        grid.clients().setTimer(delay, t -> self.sendResult(chunk, new float[chunk.rows() * chunk.colsB()], delay, 0));
        return true;
      });
    }
    sent.clear();
    int chunks = Math.min(16384, Math.max(200, w * perWorker));
    grid.finished(grid.submit(tinyJob(chunks)));
    List<Double> latencies = new ArrayList<>();
    List<Double> afterStart = new ArrayList<>();
    received.forEach((id, at) -> {
      Long out = sent.get(id);
      if (out != null) {
        latencies.add((at - out) / 1e6);
        if (!firsts.contains(id)) {
          afterStart.add((at - out) / 1e6);
        }
      }
    });
    grid.stopWorkers();
    return new Stats[] {Stats.of(latencies), Stats.of(afterStart)};
  }

  /** Chunks per second with tiny chunks, against a plain Vert.x WebSocket echo at the same concurrency. */
  private void throughput(BenchGrid grid) {
    int w = 20;
    int slots = 4;
    int chunks = options.quick() ? 8000 : 16384;
    progress.accept("chunk throughput (" + chunks + " tiny chunks, " + w + " workers) against a WebSocket echo ...");
    grid.workers(w, "tp", Engines.answering(), slots);
    String sample = new JsonObject().put("type", "chunk").put("assignmentId", "Q2xhc3NpYyBleGFtcGxlIQ")
        .put("jobId", "6dfab79e-5d45-4c22-9d31-9e463b979fb7").put("chunkIndex", 1234).put("rowStart", 1234)
        .put("rows", 1).put("colsA", 16).put("colsB", 16).put("leaseMs", 60000)
        .put("a", brain.model.Float32Codec.toBase64(new float[16])).encode();
    // Interleaved, after one warm-up of each, so both see the same JIT and machine state.
    List<Double> rates = new ArrayList<>();
    List<Double> echoes = new ArrayList<>();
    for (int r = -1; r < options.repeats(); r++) {
      long t0 = System.nanoTime();
      grid.finished(grid.submit(tinyJob(chunks)));
      double rate = chunks / ((System.nanoTime() - t0) / 1e9);
      double echo = EchoBaseline.roundTripsPerSecond(w, slots, chunks, sample);
      if (r >= 0) {
        rates.add(rate);
        echoes.add(echo);
      }
    }
    grid.stopWorkers();
    double grid50 = Stats.of(rates).p50();
    double echo50 = Stats.of(echoes).p50();
    results.put("throughput", new JsonObject().put("chunksPerSecond", grid50).put("echoPerSecond", echo50)
        .put("workers", w).put("slots", slots).put("chunks", chunks).put("runs", new JsonArray(rates))
        .put("echoRuns", new JsonArray(echoes)));
    rows.add(new Row("chunk throughput", w + " workers × " + slots + " slots, " + chunks + " tiny chunks",
        String.format(Locale.ROOT, "%,.0f chunks/s (echo %,.0f/s: %.0f %%)", grid50, echo50, 100 * grid50 / echo50),
        "≥ 50 % of echo", "n/a", grid50 >= echo50 / 2));
  }

  /**
   * 512×512·512×512 in 16-row chunks, each run of the grid followed by one of the reference
   * (the seed's protocol over plain binary WebSockets, {@link ReferenceGrid}) with as many
   * workers and slots, so both see the same machine; also the grid's wire efficiency.
   */
  private void jobWallTime(BenchGrid grid) {
    JsonObject spec = new JsonObject().put("rowsA", 512).put("colsA", 512).put("colsB", 512).put("chunkRows", 16)
        .put("verify", "none");
    JsonObject figures = new JsonObject();
    try (ReferenceGrid reference = new ReferenceGrid(2)) {
      for (int r = 0; r < 3; r++) {
        reference.workers(1);
        reference.run(512, 512, 512, 16); // warm-up: JIT for the reference too
        reference.stopWorkers();
      }
      for (int w : new int[] {1, 4, 20}) {
        progress.accept("job wall time 512³ with " + w + " workers, beside the reference ...");
        List<HeadlessWorker> workers = grid.workers(w, "wall", Engines.answering(), 2);
        reference.workers(w);
        List<Double> walls = new ArrayList<>();
        List<Double> references = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (int r = 0; r < options.repeats(); r++) {
          long bytesBefore = socketBytes(workers);
          long t0 = System.nanoTime();
          JsonObject done = grid.finished(grid.submit(spec));
          walls.add((System.nanoTime() - t0) / 1e6);
          int used = done.getInteger("workersUsed");
          double ideal = 4.0 * (512 * 512 + (long) used * 512 * 512 + 512 * 512);
          ratios.add((socketBytes(workers) - bytesBefore) / ideal);
          long t1 = System.nanoTime();
          reference.run(512, 512, 512, 16);
          references.add((System.nanoTime() - t1) / 1e6);
        }
        grid.stopWorkers();
        reference.stopWorkers();
        Stats wall = Stats.of(walls);
        Stats ref = Stats.of(references);
        Stats wire = Stats.of(ratios);
        double ratio = wall.p50() / ref.p50();
        figures.put(String.valueOf(w), json(wall).put("wireRatioP50", wire.p50()).put("runs", new JsonArray(walls))
            .put("reference", json(ref).put("runs", new JsonArray(references))).put("ratioToReference", ratio));
        rows.add(new Row("job wall time", "512³, 16-row chunks, W = " + w,
            String.format(Locale.ROOT, "p50 %.0f ms, p99 %.0f ms; reference p50 %.0f ms: %.2f×", wall.p50(), wall.p99(),
                ref.p50(), ratio),
            "≤ 1.0× reference", w == 1 ? "never completes (1 MB cap)" : w == 4 ? "1.0–1.3 s" : "≈ 2.5 s",
            ratio <= 1.0));
        if (w == 4) {
          results.put("wireEfficiency", json(wire));
          rows.add(new Row("wire efficiency", "socket + HTTP bytes / (A + B per worker + C as float32), 512³, W = 4",
              String.format(Locale.ROOT, "%.3f", wire.p50()), "≤ 1.05", "≈ 5 (B with every chunk, JSON doubles)",
              wire.p50() <= 1.05));
        }
      }
    }
    results.put("jobWallTimeMs", figures);
  }

  /** Bytes on the workers' sockets (frames) and HTTP connections (the data plane: lines, headers, bodies). */
  private static long socketBytes(List<HeadlessWorker> workers) {
    return workers.stream().mapToLong(w -> w.httpBytes()
        + (w.client() == null ? 0 : w.client().bytesIn() + w.client().bytesOut())).sum();
  }

  /** 200 workers, 2048×256·256×256 in 8-row chunks. */
  private void scale(BenchGrid grid) {
    int w = options.quick() ? 50 : 200;
    progress.accept("scale: " + w + " workers, 2048×256·256×256 ...");
    grid.workers(w, "scale", Engines.answering(), 2);
    JsonObject spec = new JsonObject().put("rowsA", 2048).put("colsA", 256).put("colsB", 256).put("chunkRows", 8)
        .put("verify", "none");
    List<Double> walls = new ArrayList<>();
    for (int r = 0; r < options.repeats(); r++) {
      long t0 = System.nanoTime();
      grid.finished(grid.submit(spec));
      walls.add((System.nanoTime() - t0) / 1e6);
    }
    grid.stopWorkers();
    Stats wall = Stats.of(walls);
    results.put("scaleMs", json(wall).put("workers", w).put("runs", new JsonArray(walls)));
    rows.add(new Row("scale", w + " workers, 2048×256·256×256, 8-row chunks",
        String.format(Locale.ROOT, "p50 %.0f ms, p99 %.0f ms", wall.p50(), wall.p99()), "≤ 530 ms (0.1× original)",
        "≈ 5.3 s", w == 200 ? wall.p50() <= 530 : null));
  }

  /** Socket close → the chunk it held sent to another worker. */
  private void reassignment(BenchGrid grid) {
    if (!grid.inProcess()) {
      rows.add(new Row("reassignment latency", "socket close → chunk re-sent", "n/a (needs the server in this process)",
          "p99 ≤ 50 ms", "500 ms", null));
      return;
    }
    Map<String, CompletableFuture<Long>> resent = new ConcurrentHashMap<>();
    io.vertx.core.Handler<DeliveryContext<Object>> watch = ctx -> {
      if (ctx.message().address().startsWith(Addresses.WORKER_PRIVATE_PREFIX)
          && ctx.message().body() instanceof JsonObject body && "chunk".equals(body.getString("type"))) {
        CompletableFuture<Long> waiting = resent.get(body.getString("jobId") + "/" + body.getInteger("chunkIndex"));
        if (waiting != null) {
          waiting.complete(System.nanoTime());
        }
      }
      ctx.next();
    };
    int rounds = options.quick() ? 2 : 5;
    int victims = 10;
    List<Double> latencies = new ArrayList<>();
    grid.workers(20, "steady", Engines.answering(), 2);
    grid.serverVertx().eventBus().addOutboundInterceptor(watch);
    try {
      for (int round = 0; round < rounds; round++) {
        progress.accept("reassignment latency, round " + (round + 1) + " of " + rounds + " ...");
        Map<HeadlessWorker, String> held = new ConcurrentHashMap<>();
        CountDownLatch holding = new CountDownLatch(victims);
        List<HeadlessWorker> doomed = grid.workers(victims, "victim" + round, Engines.answering(), 1);
        for (HeadlessWorker victim : doomed) {
          victim.behaviour((self, chunk) -> {
            if (held.putIfAbsent(self, chunk.jobId() + "/" + chunk.chunkIndex()) == null) {
              holding.countDown();
            }
            return true;
          });
        }
        String id = grid.submit(tinyJob(16000));
        if (!holding.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("victims got no chunks");
        }
        for (HeadlessWorker victim : doomed) {
          CompletableFuture<Long> again = new CompletableFuture<>();
          resent.put(held.get(victim), again);
          long closing = System.nanoTime();
          await(victim.stop());
          latencies.add((again.get(30, TimeUnit.SECONDS) - closing) / 1e6);
        }
        grid.cancel(id);
        grid.finished(id);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      grid.serverVertx().eventBus().removeOutboundInterceptor(watch);
      grid.stopWorkers();
    }
    Stats stats = Stats.of(latencies);
    results.put("reassignmentLatencyMs", json(stats));
    rows.add(new Row("reassignment latency", "socket close → chunk re-sent, " + stats.count() + " closes",
        String.format(Locale.ROOT, "p50 %.2f ms, p99 %.2f ms", stats.p50(), stats.p99()), "p99 ≤ 50 ms", "500 ms",
        stats.p99() <= 50));
  }

  /** Issue 13: 4096³ (quick: 2048³) on 4 workers declaring 32 MiB (quick: 8 MiB) each: 2-D blocks, bytes moved. */
  private void blocks() throws Exception {
    int n = options.quick() ? 2048 : 4096;
    long budget = (options.quick() ? 8L : 32L) << 20;
    BlocksBench.Figure f = BlocksBench.measure(n, n, n, budget, 4, progress);
    results.put("blocks", f.json());
    rows.add(new Row("2-D blocks, bytes moved", String.format(Locale.ROOT, "%d³ on 4 workers declaring %d MiB: %d blocks of %d×%d",
        n, budget >> 20, f.plan().size(), f.plan().chunkRows(), f.plan().blockCols()),
        String.format(Locale.ROOT, "float32 payload %.3f× the minimum (%.0f MB); wire bytes %.3f×; largest chunk %.1f MiB",
            f.payloadRatio(), f.minimumBytes() / 1e6, f.socketRatio(), f.largestChunkBytes() / 1048576.0),
        "payload ≤ 1.25× minimum, chunk ≤ budget", "cannot run (B > any worker)",
        f.payloadRatio() <= 1.25 && f.largestChunkBytes() <= budget));
  }

  /** Stitching C of 4096×4096 from 16-row slices, against one plain copy of the same bytes. */
  private void aggregation() {
    progress.accept("aggregation 4096×4096 ...");
    int n = 4096;
    ChunkPlan plan = ChunkPlan.of(n, n, 16);
    float[][] slices = new float[plan.size()][];
    for (ChunkPlan.Chunk chunk : plan.chunks()) {
      slices[chunk.index()] = new float[chunk.rows() * n];
      java.util.Arrays.fill(slices[chunk.index()], chunk.index());
    }
    float[] whole = new float[n * n];
    List<Double> stitchMs = new ArrayList<>();
    List<Double> copyMs = new ArrayList<>();
    for (int r = 0; r < 2 + options.repeats(); r++) {
      long t0 = System.nanoTime();
      Stitcher stitcher = new Stitcher(n, n);
      for (ChunkPlan.Chunk chunk : plan.chunks()) {
        stitcher.put(chunk.rowStart(), chunk.rows(), slices[chunk.index()]);
      }
      long t1 = System.nanoTime();
      float[] copy = new float[n * n];
      System.arraycopy(whole, 0, copy, 0, copy.length);
      long t2 = System.nanoTime();
      if (r >= 2 && stitcher.result().data().length == copy.length) {
        stitchMs.add((t1 - t0) / 1e6);
        copyMs.add((t2 - t1) / 1e6);
      }
    }
    double stitch = Stats.of(stitchMs).p50();
    double copy = Stats.of(copyMs).p50();
    results.put("aggregation", new JsonObject().put("stitchMsP50", stitch).put("copyMsP50", copy));
    rows.add(new Row("aggregation", "stitch 4096×4096 from 256 slices vs one copy of 64 MiB",
        String.format(Locale.ROOT, "%.1f ms vs %.1f ms (%.2f×)", stitch, copy, stitch / copy), "≤ 2×", "< 50 ms",
        stitch / copy <= 2));
  }

  /** 1024³ with two workers that really compute (EJML, one thread each), checks on. */
  private void efficiency() throws Exception {
    int n = options.quick() ? 1024 : 2048;
    MatrixEngine engine = Engines.auto(1, brain.worker.NativeBlasEngine.availability());
    progress.accept("efficiency ratio: " + n + "³ with 2 computing workers (" + engine.description() + ") ...");
    try (BenchGrid grid = options.server() == null ? BenchGrid.inProcess(Map.of()) : BenchGrid.remote(options.server(), options.token())) {
      grid.workers(2, "compute", engine, 2);
      JsonObject spec = new JsonObject().put("rowsA", n).put("colsA", n).put("colsB", n);
      List<Double> ratios = new ArrayList<>();
      List<Double> walls = new ArrayList<>();
      for (int r = 0; r < Math.max(2, options.repeats() - 2); r++) {
        JsonObject done = grid.finished(grid.submit(spec));
        if (r == 0) {
          continue; // JIT warm-up of the compute path
        }
        ratios.add(done.getJsonObject("metrics").getDouble("efficiencyRatio"));
        walls.add(done.getJsonObject("metrics").getDouble("totalTimeMs"));
      }
      grid.stopWorkers();
      Stats ratio = Stats.of(ratios);
      Stats wall = Stats.of(walls);
      results.put("efficiencyRatio", json(ratio).put("wallMsP50", wall.p50()));
      rows.add(new Row("efficiency ratio", n + "³, 2 computing workers (" + engine.description() + ", 1 thread each)",
          String.format(Locale.ROOT, "%.1f %% (job %.0f ms, %.1f GFLOP/s)", ratio.p50(), wall.p50(),
              2.0 * n * n * n / wall.p50() / 1e6), "≥ 90 %", "n/a", ratio.p50() >= 90));
    }
  }

  /** Heap the server holds per connected idle worker; the workers run in a child JVM. */
  private void heapPerIdleWorker() throws Exception {
    if (options.server() != null) {
      rows.add(new Row("server heap per idle worker", "1,000 connected workers", "n/a (needs the server in this process)",
          "≤ 64 KB", "n/a", null));
      return;
    }
    int n = options.quick() ? 200 : 1000;
    progress.accept("server heap with " + n + " idle workers (in a child JVM) ...");
    try (BenchGrid grid = BenchGrid.inProcess(Map.of("scheduler.maxWorkers", 5000))) {
      long before = usedHeapAfterGc();
      Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
          "-cp", System.getProperty("java.class.path"), "brain.Main", "worker", "--server", grid.baseUrl(), "--count",
          String.valueOf(n), "--answer-without-computing", "--name", "idle", "--id", "w-idle-bench")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      try {
        grid.awaitWorkerCount(n);
        long after = usedHeapAfterGc();
        double perWorkerKb = (after - before) / 1024.0 / n;
        results.put("heapPerIdleWorkerKb", perWorkerKb).put("heapWorkers", n);
        rows.add(new Row("server heap per idle worker", String.format(Locale.ROOT, "%,d connected workers", n),
            String.format(Locale.ROOT, "%.1f KB", perWorkerKb), "≤ 64 KB", "n/a", perWorkerKb <= 64));
      } finally {
        child.destroy();
        child.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  // ------------------------------------------------------------------ output

  private static JsonObject json(Stats stats) {
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

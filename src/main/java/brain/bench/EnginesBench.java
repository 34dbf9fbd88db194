package brain.bench;

import brain.blas.OpenBlas;
import brain.worker.Engines;
import brain.worker.MatrixEngine;
import brain.worker.NativeBlasEngine;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The table "engines" of issue 12: GFLOP/s of each engine on 1024×1024·1024×1024 float32, next to
 * NumPy's {@code a @ b} on the same machine, in the same run, at the same thread count. Each JVM
 * engine runs through {@link MatrixEngine#multiply} as a worker calls it (copies included); NumPy
 * runs as a python3 subprocess with {@code OPENBLAS_NUM_THREADS} set, under this JVM's
 * environment (so {@code OPENBLAS_CORETYPE}, where set, forces the same kernels on both). Each
 * figure: warm-up, then the best of a few repetitions, with the spread (slowest–fastest).
 * Measured, never asserted.
 */
public final class EnginesBench {
  /** The product measured: n×n·n×n. */
  public static final int N = 1024;
  /** OpenBLAS's target: this share of NumPy's GFLOP/s at the same thread count. */
  public static final double TARGET_SHARE = 0.70;

  private static final double FLOP = 2.0 * N * N * N;
  /** Timed products per engine and round, after 2 unmeasured ones. */
  private static final int REPS = 4;

  /**
   * A browser engine's measurement on n×n·n×n float32 (the worker tab's CPU engine in real
   * Chromium): answers its GFLOP/s, or throws {@link NotMeasured} saying why it could not run
   * (no Chromium, the page did not load, ...).
   */
  @FunctionalInterface
  public interface BrowserMeasurement {
    double gflops(int n, int threads) throws Exception;
  }

  /** Thrown by a {@link BrowserMeasurement} that cannot run here; its message is the reason shown. */
  public static final class NotMeasured extends Exception {
    private static final long serialVersionUID = 1L;

    public NotMeasured(String reason) {
      super(reason);
    }
  }

  /** One line: {@code samples} in GFLOP/s (empty when not measured, {@code note} says why). */
  record Row(String engine, int threads, double[] samples, String note, boolean targeted) {
    double best() {
      return Arrays.stream(samples).max().orElse(Double.NaN);
    }

    double worst() {
      return Arrays.stream(samples).min().orElse(Double.NaN);
    }

    boolean measured() {
      return samples.length > 0;
    }
  }

  private final Consumer<String> progress;
  private final int threads;
  private final int rounds;
  private final List<Row> rows = new ArrayList<>();
  private final double[] numpyBest = new double[2]; // [0]: 1 thread, [1]: N threads; NaN when not measured
  private final JsonObject json = new JsonObject();
  private String numpyNote;

  private EnginesBench(Consumer<String> progress, int threads, int rounds) {
    this.progress = progress;
    this.threads = threads;
    this.rounds = rounds;
    Arrays.fill(numpyBest, Double.NaN);
  }

  /** Measures every engine (about 6 s; {@code quick}: two rounds instead of three). */
  public static EnginesBench measure(Consumer<String> progress, boolean quick) {
    EnginesBench bench = new EnginesBench(progress, Runtime.getRuntime().availableProcessors(), quick ? 2 : 3);
    bench.run();
    return bench;
  }

  private void run() {
    long started = System.nanoTime();
    JsonObject env = NumpyProcess.environment();
    progress.accept("engines: 1024³ float32, each JVM engine next to NumPy ...");
    Random random = new Random(12);
    float[] a = randomMatrix(random, N * N);
    float[] b = randomMatrix(random, N * N);
    OpenBlas.Availability blas = OpenBlas.availability();
    String kernelProbe = blas.loaded() ? NumpyProcess.openBlasLibrary() : null;

    // Rounds alternate NumPy and OpenBLAS at each thread count, so a neighbour's burst on this shared
    // machine slows both rather than one; each figure is the best over all rounds.
    int[] counts = threads > 1 ? new int[] {1, threads} : new int[] {1};
    List<List<Double>> numpy = List.of(new ArrayList<>(), new ArrayList<>());
    List<List<Double>> blasRuns = List.of(new ArrayList<>(), new ArrayList<>());
    JsonObject numpyInfo = null;
    for (int round = 0; round < rounds; round++) {
      for (int t = 0; t < counts.length; t++) {
        if (numpyNote == null) {
          progress.accept("engines: NumPy, " + counts[t] + (counts[t] == 1 ? " thread" : " threads") + " ...");
          JsonObject measured = NumpyProcess.matmul(N, REPS, counts[t], round == 0 && t == 0 ? kernelProbe : null);
          if (measured.containsKey("error")) {
            numpyNote = measured.getString("error");
          } else {
            for (Object s : measured.getJsonArray("seconds")) {
              numpy.get(t).add(FLOP / ((Number) s).doubleValue() / 1e9);
            }
            if (numpyInfo == null) {
              numpyInfo = measured.copy();
              numpyInfo.remove("seconds");
            }
          }
        }
        if (blas.loaded()) {
          blasRuns.get(t).addAll(jvm(NativeBlasEngine.create(counts[t]), a, b, 2, REPS));
        }
      }
    }
    for (int t = 0; t < counts.length; t++) {
      numpyBest[t] = numpy.get(t).stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
    String numpyLabel = numpyInfo == null ? "NumPy a @ b"
        : "NumPy " + numpyInfo.getString("numpy", "?") + " a @ b (" + numpyInfo.getString("blas", "?")
            + kernels(numpyInfo.getString("kernel")) + ")";
    String blasLabel = blas.loaded()
        ? "OpenBLAS " + blas.version() + " cblas_sgemm, JVM worker engine"
            + kernels(numpyInfo == null ? null : numpyInfo.getString("ourKernel"))
        : "OpenBLAS, JVM worker engine";
    for (int t = 0; t < counts.length; t++) {
      rows.add(new Row(numpyLabel, counts[t], toArray(numpy.get(t)),
          numpyNote == null ? null : "not measured: " + numpyNote, false));
      rows.add(new Row(blasLabel, counts[t], toArray(blasRuns.get(t)),
          blas.loaded() ? null : "not measured: OpenBLAS could not load: " + blas.reason(), true));
    }
    rows.add(new Row("EJML (pure Java), JVM worker fallback", 1, toArray(jvmEjml(a, b)), null, false));
    // One headless Chromium for both tab rows, its WebAssembly SIMD engine next to its JavaScript one.
    progress.accept("engines: the worker tab in headless Chromium (WebAssembly, then JavaScript) ...");
    try (ChromiumProbe tab = new ChromiumProbe(threads)) {
      browserRow("worker tab, CPU engine (real Chromium)", threads, tab.engine("wasm"));
      browserRow("worker tab, JavaScript engine (real Chromium)", 1, tab.engine("js"));
    }

    json.put("n", N).put("dtype", "float32").put("threads", threads).put("rounds", rounds)
        .put("env", env).put("numpy", numpyInfo == null ? new JsonObject().put("error", numpyNote) : numpyInfo)
        .put("seconds", Math.round((System.nanoTime() - started) / 1e8) / 10.0);
  }

  /**
   * Issue 12's real-Chromium case, the hook for the tab's engines: runs {@code measurement} on
   * 1024³ with {@code threads}, adds a row {@code engine} with its GFLOP/s and share of NumPy at
   * that thread count, and answers the figure as shown ("12.3 GFLOP/s") or "not measured:
   * REASON" when it threw ({@link NotMeasured}'s message, or the error's).
   */
  public String browserRow(String engine, int threads, BrowserMeasurement measurement) {
    try {
      double gflops = measurement.gflops(N, threads);
      rows.add(new Row(engine, threads, new double[] {gflops}, null, false));
      return String.format(Locale.ROOT, "%.1f GFLOP/s", gflops);
    } catch (Exception e) {
      String reason = "not measured: " + (e instanceof NotMeasured || e.getMessage() != null ? e.getMessage()
          : e.getClass().getSimpleName());
      rows.add(new Row(engine, threads, new double[0], reason, false));
      return reason;
    }
  }

  /**
   * The tab's CPU engine (WebAssembly SIMD) in real headless Chromium (issue 12, point 4), on a
   * browser and grid server of its own, both gone when it answers: {@code worker.html?engine=cpu}
   * runs {@code window.brainWorker.benchmark({n, engine: 'wasm', threads})}. The table itself shares
   * one browser between this row and the JavaScript one ({@link ChromiumProbe}).
   */
  static BrowserMeasurement tabCpuEngine() {
    return (n, threads) -> {
      try (ChromiumProbe tab = new ChromiumProbe(threads)) {
        return tab.engine("wasm").gflops(n, threads);
      }
    };
  }

  // ------------------------------------------------------------------ measurements

  /** GFLOP/s of {@code reps} products after {@code warm} unmeasured ones. */
  private static List<Double> jvm(MatrixEngine engine, float[] a, float[] b, int warm, int reps) {
    List<Double> out = new ArrayList<>();
    for (int r = 0; r < warm + reps; r++) {
      long t0 = System.nanoTime();
      float[] c = engine.multiply(a, N, N, b, N);
      long t1 = System.nanoTime();
      if (c.length != N * N) {
        throw new IllegalStateException("wrong size");
      }
      if (r >= warm) {
        out.add(FLOP / ((t1 - t0) / 1e9) / 1e9);
      }
    }
    return out;
  }

  /** EJML on one thread: about 0.7 s a product here, so the JIT warms up on 512³ and 3 products are timed. */
  private List<Double> jvmEjml(float[] a, float[] b) {
    progress.accept("engines: EJML, 1 thread ...");
    MatrixEngine ejml = Engines.ejml(1);
    float[] half = Arrays.copyOf(a, 512 * 512);
    for (int i = 0; i < 3; i++) {
      ejml.multiply(half, 512, 512, half, 512);
    }
    return jvm(ejml, a, b, 0, rounds + 1);
  }

  private static String kernels(String name) {
    return name == null || name.isBlank() ? "" : ", " + name + " kernels";
  }

  private static float[] randomMatrix(Random random, int size) {
    float[] out = new float[size];
    for (int i = 0; i < size; i++) {
      out[i] = random.nextFloat() - 0.5f;
    }
    return out;
  }

  private static double[] toArray(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  // ------------------------------------------------------------------ output

  private double numpyAt(int threads) {
    return threads == 1 ? numpyBest[0] : threads == this.threads ? numpyBest[1] : Double.NaN;
  }

  /**
   * The figures as JSON: {n, env, numpy, rows: [{engine, threads, gflops (the best), median,
   * slowest, samples, shareOfNumpy (best over NumPy's best at the same threads), target, met}]}.
   */
  public JsonObject json() {
    JsonArray list = new JsonArray();
    for (Row row : rows) {
      JsonObject line = new JsonObject().put("engine", row.engine()).put("threads", row.threads());
      if (row.measured()) {
        double share = row.best() / numpyAt(row.threads());
        line.put("gflops", round(row.best())).put("median", round(Stats.of(row.samples()).p50()))
            .put("slowest", round(row.worst()))
            .put("samples", new JsonArray(Arrays.stream(row.samples()).map(EnginesBench::round).boxed().toList()));
        if (!Double.isNaN(share)) {
          line.put("shareOfNumpy", Math.round(share * 1000) / 1000.0);
        }
        if (row.targeted()) {
          line.put("target", "≥ " + Math.round(TARGET_SHARE * 100) + " % of NumPy").put("met",
              Double.isNaN(share) ? null : share >= TARGET_SHARE);
        }
      } else {
        line.put("note", row.note());
      }
      list.add(line);
    }
    return json.copy().put("rows", list);
  }

  /** The table, as printed. */
  public String table() {
    String[] head = {"engine (1024³ float32)", "threads", "GFLOP/s best (slowest, runs)", "share of NumPy, same threads",
        "target", "met"};
    List<String[]> lines = new ArrayList<>();
    lines.add(head);
    for (Row row : rows) {
      if (!row.measured()) {
        lines.add(new String[] {row.engine(), String.valueOf(row.threads()), row.note(), "–",
            row.targeted() ? "≥ 70 %" : "", "–"});
        continue;
      }
      double share = row.best() / numpyAt(row.threads());
      String shareText = Double.isNaN(share) ? "n/a (NumPy not measured)"
          : String.format(Locale.ROOT, "%.0f %%", share * 100);
      lines.add(new String[] {row.engine(), String.valueOf(row.threads()),
          row.samples().length == 1 ? String.format(Locale.ROOT, "%.1f", row.best())
              : String.format(Locale.ROOT, "%.1f (%.1f, %d)", row.best(), row.worst(), row.samples().length),
          shareText, row.targeted() ? "≥ 70 %" : "",
          !row.targeted() || Double.isNaN(share) ? "–" : share >= TARGET_SHARE ? "yes" : "NO"});
    }
    StringBuilder out = new StringBuilder("engines\n").append(TextTable.render(lines));
    JsonObject env = json.getJsonObject("env", new JsonObject());
    out.append(String.format(Locale.ROOT, "env: %s, %d cores, load average %.1f at the start; OPENBLAS_CORETYPE=%s, "
            + "OPENBLAS_L2_SIZE=%s (NumPy runs under this JVM's environment, with OPENBLAS_NUM_THREADS set per row); "
            + "%d rounds alternating NumPy and OpenBLAS%n",
        env.getString("cpu"), env.getInteger("cores", threads), env.getDouble("loadAverage", Double.NaN),
        env.getString("OPENBLAS_CORETYPE"), env.getString("OPENBLAS_L2_SIZE"), rounds));
    return out.toString();
  }

  private static double round(double value) {
    return Math.round(value * 10) / 10.0;
  }
}

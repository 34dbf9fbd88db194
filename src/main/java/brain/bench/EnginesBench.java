package brain.bench;

import brain.worker.Engines;
import brain.worker.MatrixEngine;
import brain.worker.NativeBlasEngine;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
    JsonObject env = environment();
    progress.accept("engines: 1024³ float32, each JVM engine next to NumPy ...");
    Random random = new Random(12);
    float[] a = randomMatrix(random, N * N);
    float[] b = randomMatrix(random, N * N);
    NativeBlasEngine.Availability blas = NativeBlasEngine.availability();
    String kernelProbe = blas.loaded() ? openBlasLibrary() : null;

    // Rounds alternate NumPy and OpenBLAS at each thread count, so a neighbour's burst on this shared
    // machine slows both rather than one; each figure is the best over all rounds.
    int[] counts = threads > 1 ? new int[] {1, threads} : new int[] {1};
    List<List<Double>> numpy = List.of(new ArrayList<>(), new ArrayList<>());
    List<List<Double>> blasRuns = List.of(new ArrayList<>(), new ArrayList<>());
    JsonObject numpyInfo = null;
    for (int round = 0; round < rounds; round++) {
      for (int t = 0; t < counts.length; t++) {
        if (numpyNote == null) {
          JsonObject measured = numpy(counts[t], round == 0 && t == 0 ? kernelProbe : null);
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

  private static final String NUMPY_SCRIPT = String.join("\n",
      "import json, os, sys, time",
      "try:",
      "    import numpy as np",
      "except Exception as e:",
      "    print(json.dumps({'error': 'numpy cannot be imported (%s)' % e})); sys.exit(0)",
      "n, reps = int(sys.argv[1]), int(sys.argv[2])",
      "out = {'numpy': np.__version__}",
      "rng = np.random.default_rng(12)",
      "a = rng.random((n, n), dtype=np.float32) - 0.5",
      "b = rng.random((n, n), dtype=np.float32) - 0.5",
      "for _ in range(2): a @ b",
      "secs = []",
      "for _ in range(reps):",
      "    t = time.perf_counter(); a @ b; secs.append(time.perf_counter() - t)",
      "out['seconds'] = secs",
      "import ctypes, glob",
      "def corename(path, names):",
      "    lib = ctypes.CDLL(path)",
      "    for name in names:",
      "        f = getattr(lib, name, None)",
      "        if f is not None:",
      "            f.restype = ctypes.c_char_p",
      "            return f().decode()",
      "try:",
      "    blas = np.show_config(mode='dicts')['Build Dependencies']['blas']",
      "    out['blas'] = '%s %s' % (blas.get('name'), blas.get('version'))",
      "    for path in glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, 'numpy.libs', '*openblas*')):",
      "        out['kernel'] = corename(path, ['scipy_openblas_get_corename64_', 'scipy_openblas_get_corename',",
      "                                        'openblas_get_corename64_', 'openblas_get_corename'])",
      "except Exception as e:",
      "    out['kernelError'] = str(e)",
      "if len(sys.argv) > 3:",
      "    try: out['ourKernel'] = corename(sys.argv[3], ['openblas_get_corename'])",
      "    except Exception as e: out['ourKernelError'] = str(e)",
      "print(json.dumps(out))");

  /**
   * NumPy's {@code a @ b} on {@code threads} threads in a python3 subprocess: {"seconds": [...],
   * "numpy", "blas", "kernel"} or {"error"}. {@code ourLibrary}: the OpenBLAS this JVM loaded, whose
   * kernel name the same script reads (a function the Java bindings do not expose), under the same
   * environment.
   */
  private JsonObject numpy(int threads, String ourLibrary) {
    progress.accept("engines: NumPy, " + threads + (threads == 1 ? " thread" : " threads") + " ...");
    List<String> command = new ArrayList<>(List.of("python3", "-c", NUMPY_SCRIPT, String.valueOf(N),
        String.valueOf(REPS)));
    if (ourLibrary != null) {
      command.add(ourLibrary);
    }
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(false)
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    for (String variable : List.of("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")) {
      builder.environment().put(variable, String.valueOf(threads));
    }
    try {
      Process process = builder.start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) { // its one line of JSON fits the pipe
        process.destroyForcibly();
        return new JsonObject().put("error", "python3 ran past 60 s");
      }
      byte[] out = process.getInputStream().readAllBytes();
      String text = new String(out, StandardCharsets.UTF_8).strip();
      String last = text.isEmpty() ? "" : text.lines().reduce((x, y) -> y).orElse("");
      if (process.exitValue() != 0 || !last.startsWith("{")) {
        return new JsonObject().put("error", "python3 failed (exit " + process.exitValue() + ")");
      }
      return new JsonObject(last);
    } catch (IOException e) {
      return new JsonObject().put("error", "python3 not found (" + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new JsonObject().put("error", "interrupted");
    }
  }

  /** The libopenblas this JVM loaded (JavaCPP's cache), for its kernel name; null if not found. */
  private static String openBlasLibrary() {
    try {
      String jni = org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
      Path dir = jni == null ? null : Path.of(jni).getParent();
      if (dir == null) {
        return null;
      }
      try (var files = Files.list(dir)) {
        return files.map(Path::toString).filter(p -> p.matches(".*/libopenblas[^/]*\\.so(\\.\\d+)?$"))
            .sorted().findFirst().orElse(null);
      }
    } catch (Throwable e) {
      return null;
    }
  }

  private static JsonObject environment() {
    JsonObject env = new JsonObject();
    for (String variable : List.of("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")) {
      String value = System.getenv(variable);
      env.put(variable, value == null ? "(unset)" : value);
    }
    env.put("cores", Runtime.getRuntime().availableProcessors()).put("cpu", cpuModel()).put("loadAverage", load());
    return env;
  }

  /** /proc/loadavg's 1-minute figure at the start, to tell a quiet machine from a busy one; NaN elsewhere. */
  private static double load() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse(System.getProperty("os.arch"));
    } catch (IOException | RuntimeException e) {
      return System.getProperty("os.arch");
    }
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

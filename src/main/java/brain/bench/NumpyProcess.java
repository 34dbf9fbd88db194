package brain.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The engines table's yardstick and its machine facts: NumPy's matrix product timed in a python3
 * subprocess (with the kernel names of its OpenBLAS and of the one this JVM loaded), and what
 * the table says about the machine.
 */
final class NumpyProcess {
  private NumpyProcess() {}

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
   * NumPy's {@code a @ b} of two n×n float32 matrices, {@code reps} times, on {@code threads} threads in a python3 subprocess: {"seconds": [...],
   * "numpy", "blas", "kernel"} or {"error"}. {@code ourLibrary}: the OpenBLAS this JVM loaded, whose
   * kernel name the same script reads (a function the Java bindings do not expose), under the same
   * environment.
   */
  static JsonObject matmul(int n, int reps, int threads, String ourLibrary) {
    List<String> command = new ArrayList<>(List.of("python3", "-c", NUMPY_SCRIPT, String.valueOf(n),
        String.valueOf(reps)));
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
  static String openBlasLibrary() {
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

  /** What the engines table says about the machine: OpenBLAS settings, cores, CPU, load. */
  static JsonObject environment() {
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
}

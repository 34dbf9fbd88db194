package brain.worker;

import brain.blas.OpenBlas;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;

/**
 * The engines a headless worker can run: OpenBLAS (native, {@link NativeBlasEngine}) where its
 * library loads, EJML (pure Java) everywhere. {@link #select} is the worker's choice
 * ({@code --engine}); {@link #cpu} stays EJML, the engine the tests' honest workers use.
 */
public final class Engines {
  private static final System.Logger LOG = System.getLogger(Engines.class.getName());
  private static final AtomicBoolean LOGGED = new AtomicBoolean();

  private Engines() {}

  /** {@code --engine}: blas (OpenBLAS or fail), ejml, or auto (OpenBLAS if it loads, else EJML, saying why). */
  public enum Choice {
    AUTO, BLAS, EJML;

    /** "auto", "blas", "openblas", "native", "ejml", "java" (any case); null or blank → the default. */
    public static Choice parse(String text) {
      if (text == null || text.isBlank()) {
        return byDefault();
      }
      return switch (text.strip().toLowerCase(Locale.ROOT)) {
        case "auto" -> AUTO;
        case "blas", "openblas", "native" -> BLAS;
        case "ejml", "java", "jvm" -> EJML;
        default -> throw new IllegalArgumentException("unknown engine '" + text + "' (blas, ejml or auto)");
      };
    }

    /** {@code -Dbrain.engine=…}, else the variable {@code BRAIN_ENGINE}, else auto. */
    public static Choice byDefault() {
      String property = System.getProperty("brain.engine");
      if (property != null && !property.isBlank()) {
        return parse(property);
      }
      String env = System.getenv("BRAIN_ENGINE");
      return env != null && !env.isBlank() ? parse(env) : AUTO;
    }
  }

  /** The engine for {@code choice}; BLAS throws IllegalStateException, saying why, where OpenBLAS cannot load. */
  public static MatrixEngine select(Choice choice, int threads) {
    return switch (choice) {
      case BLAS -> NativeBlasEngine.create(threads);
      case EJML -> ejml(threads);
      case AUTO -> auto(threads, OpenBlas.availability());
    };
  }

  /**
   * OpenBLAS when {@code available} says it loaded, else EJML with the reason in its description;
   * the first call in a process logs which engine and why.
   */
  public static MatrixEngine auto(int threads, OpenBlas.Availability available) {
    if (available.loaded()) {
      MatrixEngine engine = NativeBlasEngine.create(threads);
      if (LOGGED.compareAndSet(false, true)) {
        LOG.log(System.Logger.Level.INFO, "engine: {0} (native cblas_sgemm)", engine.description());
      }
      return engine;
    }
    if (LOGGED.compareAndSet(false, true)) {
      LOG.log(System.Logger.Level.WARNING, "engine: EJML (pure Java), the fallback; OpenBLAS could not load: "
          + available.reason());
    }
    return ejml(threads, "OpenBLAS could not load: " + available.shortReason());
  }

  /** EJML, pure Java: the fallback, and what {@link #cpu} answers. */
  public static MatrixEngine ejml(int threads) {
    return ejml(threads, null);
  }

  /** The engine the tests' honest workers use: EJML, as before native engines. */
  public static MatrixEngine cpu(int threads) {
    return ejml(threads, null);
  }

  /**
   * Float32 products with EJML (ejml-fdense): on par with a plain i-k-j loop for small
   * slices and up to 1.45× faster for wide B, where its blocked kernels keep B in cache
   * (measured on a 2-core machine: 16×4096·4096×4096 at 2.9 vs 2.0 G multiply-adds/s on
   * one thread, 5.1 vs 4.4 on two). {@code threads} > 1 uses EJML's concurrent kernels,
   * whose thread count is process-wide.
   */
  private static MatrixEngine ejml(int threads, String fallbackReason) {
    if (threads > 1) {
      EjmlConcurrency.setMaxThreads(threads);
    }
    return new MatrixEngine() {
      @Override
      public String description() {
        return "EJML (pure Java) × " + threads + (threads == 1 ? " thread" : " threads")
            + (fallbackReason == null ? "" : " — " + fallbackReason);
      }

      @Override
      public float[] multiply(float[] a, int rows, int colsA, float[] b, int colsB) {
        FMatrixRMaj product = new FMatrixRMaj(rows, colsB);
        FMatrixRMaj left = FMatrixRMaj.wrap(rows, colsA, a);
        FMatrixRMaj right = FMatrixRMaj.wrap(colsA, colsB, b);
        if (threads > 1) {
          CommonOps_MT_FDRM.mult(left, right, product);
        } else {
          CommonOps_FDRM.mult(left, right, product);
        }
        return product.data;
      }
    };
  }

  /**
   * Answers a result of the right size without computing: isolates the grid's orchestration
   * in load tests and the benchmark. Its results fail the server's chunk check unless that
   * check is switched off ({@code verify.chunkVectors: 0}).
   */
  public static MatrixEngine answering() {
    return new MatrixEngine() {
      @Override
      public String description() {
        return "answering without computing";
      }

      @Override
      public boolean instant() {
        return true;
      }

      @Override
      public float[] multiply(float[] a, int rows, int colsA, float[] b, int colsB) {
        return new float[rows * colsB];
      }
    };
  }
}

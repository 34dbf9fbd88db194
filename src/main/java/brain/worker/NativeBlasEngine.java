package brain.worker;

import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Float32 products through OpenBLAS's {@code cblas_sgemm} (row-major), the native library that
 * JavaCPP's presets ship inside {@code org.bytedeco:openblas}'s platform jar (linux-x86_64 is
 * bundled). OpenBLAS picks its kernels for this processor at load (DYNAMIC_ARCH; the variable
 * {@code OPENBLAS_CORETYPE} forces one).
 *
 * <p>The slices are copied into off-heap buffers kept in a small pool, then multiplied: passing the
 * Java arrays straight to JavaCPP's {@code float[]} overload copies all three in and out again
 * (JNI {@code Get/ReleaseFloatArrayElements}), which cost a third of the speed on 1024³ with two
 * threads. OpenBLAS's thread count is process-wide: {@link #multiply} sets it to this engine's
 * when another engine changed it.
 */
public final class NativeBlasEngine implements MatrixEngine {
  /** Whether OpenBLAS loaded in this process, and if not, why; {@code version} e.g. "0.3.31". */
  public record Availability(boolean loaded, String version, String reason) {
    /**
     * The reason without the library path a loader lists, at most 60 characters: a worker's
     * description must fit the 120 characters the server keeps of it.
     */
    public String shortReason() {
      if (reason == null) {
        return null;
      }
      String text = reason.replaceFirst(" in java\\.library\\.path.*", "");
      return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }

    static Availability ok(String version) {
      return new Availability(true, version, null);
    }

    static Availability no(String reason) {
      return new Availability(false, null, reason);
    }
  }

  /** Loads the native library; throws whatever the loader throws. */
  @FunctionalInterface
  public interface NativeLoader {
    void load() throws Throwable;
  }

  /** The real loader: JavaCPP extracts the platform's libraries from the classpath and loads them. */
  public static final NativeLoader JAVACPP = () -> Loader.load(openblas_nolapack.class);

  static {
    // JavaCPP caps off-heap memory at the heap's size (and the process's RSS at twice that) and
    // throws OutOfMemoryError past it: a worker started with a small -Xmx would fail on large
    // slices. The buffers here are pooled and bounded by the slices themselves; set either
    // property to keep a cap.
    for (String property : new String[] {"org.bytedeco.javacpp.maxBytes", "org.bytedeco.javacpp.maxPhysicalBytes"}) {
      if (System.getProperty(property) == null && System.getProperty(property.toLowerCase(Locale.ROOT)) == null) {
        System.setProperty(property, "0");
      }
    }
  }

  private static final Object LOCK = new Object();
  private static Availability loaded; // the result of loading the real library, once per process
  private static int currentThreads = -1; // OpenBLAS's process-wide thread count as this class last set it

  private static final int POOLED = 4;
  private static final ConcurrentLinkedDeque<Scratch> POOL = new ConcurrentLinkedDeque<>();

  private final int threads;
  private final String version;

  private NativeBlasEngine(int threads, String version) {
    this.threads = threads;
    this.version = version;
  }

  /**
   * Whether OpenBLAS can be used here: loads it on the first call (then answers the same).
   * Answers "not loaded" without trying when {@link #disabledBy()} names a switch.
   */
  public static Availability availability() {
    String disabled = disabledBy();
    if (disabled != null) {
      return Availability.no("disabled by " + disabled);
    }
    synchronized (LOCK) {
      if (loaded == null) {
        loaded = probe(JAVACPP);
      }
      return loaded;
    }
  }

  /**
   * Runs {@code loader} and answers what came of it: never throws, whatever the loader throws
   * (UnsatisfiedLinkError where the platform's natives are missing, NoClassDefFoundError where
   * JavaCPP is, ...). Tests pass a loader that fails.
   */
  public static Availability probe(NativeLoader loader) {
    try {
      loader.load();
      return Availability.ok(openblas_nolapack.OPENBLAS_VERSION.strip().replace("OpenBLAS ", ""));
    } catch (Throwable e) {
      if (e instanceof VirtualMachineError && !(e instanceof OutOfMemoryError)) {
        throw (VirtualMachineError) e;
      }
      return Availability.no(reason(e));
    }
  }

  /**
   * The switch that keeps the native library out, or null: {@code -Dbrain.noNative=true} or the
   * variable {@code BRAIN_NO_NATIVE=1}.
   */
  public static String disabledBy() {
    String property = System.getProperty("brain.noNative");
    if (property != null && !property.isBlank() && !"false".equalsIgnoreCase(property) && !"0".equals(property)) {
      return "-Dbrain.noNative=" + property;
    }
    String env = System.getenv("BRAIN_NO_NATIVE");
    if (env != null && !env.isBlank() && !"0".equals(env) && !"false".equalsIgnoreCase(env)) {
      return "BRAIN_NO_NATIVE=" + env;
    }
    return null;
  }

  /** The engine, when {@link #availability()} says OpenBLAS loaded; else IllegalStateException with the reason. */
  public static NativeBlasEngine create(int threads) {
    Availability available = availability();
    if (!available.loaded()) {
      throw new IllegalStateException("OpenBLAS could not load: " + available.reason());
    }
    NativeBlasEngine engine = new NativeBlasEngine(Math.max(1, threads), available.version());
    engine.useThreads();
    return engine;
  }

  public int threads() {
    return threads;
  }

  @Override
  public String description() {
    return "OpenBLAS " + version + " × " + threads + (threads == 1 ? " thread" : " threads");
  }

  @Override
  public float[] multiply(float[] a, int rows, int colsA, float[] b, int colsB) {
    long sizeA = (long) rows * colsA;
    long sizeB = (long) colsA * colsB;
    long sizeC = (long) rows * colsB;
    if (rows < 0 || colsA < 0 || colsB < 0 || a.length < sizeA || b.length < sizeB || sizeC > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "shapes %d×%d·%d×%d do not fit arrays of %d and %d values", rows, colsA, colsA, colsB, a.length, b.length));
    }
    float[] c = new float[(int) sizeC];
    if (sizeC == 0 || colsA == 0) {
      return c;
    }
    useThreads();
    Scratch scratch = POOL.pollFirst();
    if (scratch == null) {
      scratch = new Scratch();
    }
    try {
      FloatPointer pa = scratch.a.fit(sizeA);
      FloatPointer pb = scratch.b.fit(sizeB);
      FloatPointer pc = scratch.c.fit(sizeC);
      pa.put(a, 0, (int) sizeA);
      pb.put(b, 0, (int) sizeB);
      openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
          openblas_nolapack.CblasNoTrans, rows, colsB, colsA, 1f, pa, colsA, pb, colsB, 0f, pc, colsB);
      pc.get(c, 0, (int) sizeC);
    } finally {
      if (POOL.size() < POOLED) {
        POOL.offerFirst(scratch);
      } else {
        scratch.close();
      }
    }
    return c;
  }

  private void useThreads() {
    synchronized (LOCK) {
      if (currentThreads != threads) {
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(threads);
        currentThreads = threads;
      }
    }
  }

  /** A short reason for the description and the log: the error's class and first line. */
  static String reason(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root && root.getMessage() == null) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? "" : root.getMessage().lines().findFirst().orElse("").strip();
    String text = root.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
    return text.length() > 400 ? text.substring(0, 397) + "..." : text;
  }

  /** Three off-heap buffers that grow as needed; pooled so that large slices do not fault in fresh pages. */
  private static final class Scratch {
    final Buffer a = new Buffer();
    final Buffer b = new Buffer();
    final Buffer c = new Buffer();

    void close() {
      a.close();
      b.close();
      c.close();
    }
  }

  private static final class Buffer {
    private FloatPointer pointer;
    private long capacity;

    FloatPointer fit(long size) {
      if (pointer == null || capacity < size) {
        close();
        capacity = Math.max(size, 1);
        pointer = new FloatPointer(capacity);
      }
      return pointer;
    }

    void close() {
      if (pointer != null) {
        pointer.close();
        pointer = null;
        capacity = 0;
      }
    }
  }
}

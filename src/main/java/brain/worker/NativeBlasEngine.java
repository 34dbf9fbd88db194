package brain.worker;

import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.bytedeco.javacpp.FloatPointer;
import brain.blas.OpenBlas;
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
  private static final Object THREADS = new Object();
  private static int currentThreads = -1; // OpenBLAS's process-wide thread count as this class last set it

  private static final int POOLED = 4;
  private static final ConcurrentLinkedDeque<Scratch> POOL = new ConcurrentLinkedDeque<>();

  private final int threads;
  private final String version;

  private NativeBlasEngine(int threads, String version) {
    this.threads = threads;
    this.version = version;
  }

  /** The engine, when {@link OpenBlas#availability()} says OpenBLAS loaded; else IllegalStateException with the reason. */
  public static NativeBlasEngine create(int threads) {
    OpenBlas.Availability available = OpenBlas.availability();
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
    Scratch scratch = scratch();
    try {
      FloatPointer pa = scratch.a.fit(sizeA);
      FloatPointer pb = scratch.b.fit(sizeB);
      FloatPointer pc = scratch.c.fit(sizeC);
      pa.position(0).put(a, 0, (int) sizeA); // positions: a pooled product may have moved them
      pb.position(0).put(b, 0, (int) sizeB);
      pc.position(0);
      openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
          openblas_nolapack.CblasNoTrans, rows, colsB, colsA, 1f, pa, colsA, pb, colsB, 0f, pc, colsB);
      pc.get(c, 0, (int) sizeC);
    } finally {
      release(scratch);
    }
    return c;
  }

  @Override
  public boolean accumulates() {
    return true;
  }

  /**
   * A product that takes in A's rows and B's rows as they arrive ({@link NativeBlasProduct}),
   * in off-heap buffers from this engine's pool.
   */
  @Override
  public Accumulation accumulate(float[] a, int rows, int colsA, float[] b, int colsB) {
    if (rows <= 0 || colsA <= 0 || colsB <= 0 || a.length < (long) rows * colsA || b.length < (long) colsA * colsB
        || (long) rows * colsB > Integer.MAX_VALUE) {
      return null; // empty or malformed: multiply() answers or refuses it
    }
    return new NativeBlasProduct(this, a, rows, colsA, b, colsB);
  }

  /** A pooled scratch, or a new one. */
  static Scratch scratch() {
    Scratch scratch = POOL.pollFirst();
    return scratch != null ? scratch : new Scratch();
  }

  /** Back to the pool, or freed when the pool is full. */
  static void release(Scratch scratch) {
    if (POOL.size() < POOLED) {
      POOL.offerFirst(scratch);
    } else {
      scratch.close();
    }
  }

  void useThreads() {
    synchronized (THREADS) {
      if (currentThreads != threads) {
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(threads);
        currentThreads = threads;
      }
    }
  }

  /** Three off-heap buffers that grow as needed; pooled so that large slices do not fault in fresh pages. */
  static final class Scratch {
    final Buffer a = new Buffer();
    final Buffer b = new Buffer();
    final Buffer c = new Buffer();

    void close() {
      a.close();
      b.close();
      c.close();
    }
  }

  static final class Buffer {
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

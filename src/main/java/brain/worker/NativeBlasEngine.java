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
    Scratch scratch = POOL.pollFirst();
    if (scratch == null) {
      scratch = new Scratch();
    }
    try {
      FloatPointer pa = scratch.a.fit(sizeA);
      FloatPointer pb = scratch.b.fit(sizeB);
      FloatPointer pc = scratch.c.fit(sizeC);
      pa.position(0).put(a, 0, (int) sizeA); // positions: a pooled accumulation may have moved them
      pb.position(0).put(b, 0, (int) sizeB);
      pc.position(0);
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

  @Override
  public boolean accumulates() {
    return true;
  }

  /**
   * Each band of B is copied into this product's off-heap B as it is added and multiplied in
   * with {@code cblas_sgemm}'s leading dimensions (A's band is a column range, B's a row range):
   * C accumulates in place (beta 1 after the first band), so the bands cost what one multiply
   * would, plus a call each.
   */
  @Override
  public Accumulation accumulate(float[] a, int rows, int colsA, float[] b, int colsB) {
    long sizeA = (long) rows * colsA;
    long sizeC = (long) rows * colsB;
    if (rows <= 0 || colsA <= 0 || colsB <= 0 || a.length < sizeA || b.length < (long) colsA * colsB
        || sizeC > Integer.MAX_VALUE) {
      return null; // empty or malformed: multiply() answers or refuses it
    }
    Scratch scratch = POOL.pollFirst();
    Scratch held = scratch != null ? scratch : new Scratch();
    FloatPointer pa = held.a.fit(sizeA);
    FloatPointer pb = held.b.fit((long) colsA * colsB);
    FloatPointer pc = held.c.fit(sizeC);
    pa.position(0).put(a, 0, (int) sizeA);
    return new Accumulation() {
      private int added;
      private boolean closed;

      @Override
      public void add(int k0, int k1) {
        if (closed || k0 != added || k1 <= k0 || k1 > colsA) {
          throw new IllegalArgumentException("bands of B go in order from 0 to " + colsA + ": " + k0 + ".." + k1
              + " after " + added);
        }
        useThreads();
        pb.position((long) k0 * colsB).put(b, k0 * colsB, (k1 - k0) * colsB);
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
            openblas_nolapack.CblasNoTrans, rows, colsB, k1 - k0, 1f, pa.position(k0), colsA,
            pb.position((long) k0 * colsB), colsB, k0 == 0 ? 0f : 1f, pc.position(0), colsB);
        pa.position(0);
        pb.position(0);
        added = k1;
      }

      @Override
      public float[] finish() {
        if (added != colsA) {
          throw new IllegalStateException("rows " + added + ".." + colsA + " of B were never added");
        }
        float[] c = new float[(int) sizeC];
        pc.position(0).get(c, 0, (int) sizeC);
        return c;
      }

      @Override
      public void close() {
        if (!closed) {
          closed = true;
          if (POOL.size() < POOLED) {
            POOL.offerFirst(held);
          } else {
            held.close();
          }
        }
      }
    };
  }

  private void useThreads() {
    synchronized (THREADS) {
      if (currentThreads != threads) {
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(threads);
        currentThreads = threads;
      }
    }
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

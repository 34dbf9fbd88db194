package brain.model;

import brain.blas.OpenBlas;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The heavy half of the grouped Freivalds check: the expected values of a block of rows, E = A_rows
 * · P in double, where P is the check's k × width projection of B (rows {@code stride} apart). It
 * is a matrix product of v/g the size of the job's own, so its speed decides whether the server
 * keeps up with its workers: through OpenBLAS's {@code cblas_dgemm} where it loaded (about 16 G
 * multiply-adds per second on one core of the 2-core bench machine, 17 times the row-at-a-time
 * loop it replaces), else a Java loop blocked for the cache (twice that loop). Double either way,
 * so the order of the sums changes E by far less than the float32 bound the check allows.
 *
 * <p>Holds P: in native memory when OpenBLAS is used (the heap copy is then dropped), else the
 * array. Immutable after construction and safe to use from several threads at once; each call
 * allocates its own scratch. Native memory is freed when this object is collected (JavaCPP's
 * deallocator).
 */
final class ProjectionProduct {
  /** Columns of P per pass of the Java loop: four rows' running sums of this width stay in L1. */
  private static final int TILE = 256;
  /** Rows of P per pass: TILE × DEPTH doubles (256 KiB) stay in L2 while every row block uses them. */
  private static final int DEPTH = 128;

  private static final System.Logger LOG = System.getLogger(ProjectionProduct.class.getName());
  private static final java.util.concurrent.atomic.AtomicBoolean TOLD = new java.util.concurrent.atomic.AtomicBoolean();

  private final int k;
  private final int stride;
  private final double[] p; // null when nativeP holds it
  private final DoublePointer nativeP;

  /** P as {@code k} rows of {@code stride} values; through OpenBLAS when {@code nativeBlas} and it loaded. */
  ProjectionProduct(double[] p, int k, int stride, boolean nativeBlas) {
    this.k = k;
    this.stride = stride;
    OpenBlas.Availability blas = OpenBlas.availability();
    if (TOLD.compareAndSet(false, true)) {
      LOG.log(System.Logger.Level.INFO, blas.loaded() ? "checks: OpenBLAS " + blas.version() + " (cblas_dgemm)"
          : "checks: Java loop (OpenBLAS could not load: " + blas.shortReason() + ")");
    }
    if (nativeBlas && k > 0 && stride > 0 && blas.loaded()) {
      nativeP = new DoublePointer((long) k * stride);
      nativeP.put(p, 0, k * stride);
      this.p = null;
    } else {
      nativeP = null;
      this.p = p;
    }
  }

  /** Whether the products run in OpenBLAS. */
  boolean isNative() {
    return nativeP != null;
  }

  /**
   * out[i·width + t] = Σ_q a[(first+i)·k + q] · P[q·stride + t] for i < count and t < width
   * (the first {@code width} columns of P); {@code out} is overwritten.
   */
  void multiply(float[] a, int first, int count, int width, double[] out) {
    if (count == 0 || width == 0) {
      return;
    }
    if (nativeP != null) {
      nativeMultiply(a, first, count, width, out);
    } else {
      javaMultiply(a, first, count, width, out);
    }
  }

  private void nativeMultiply(float[] a, int first, int count, int width, double[] out) {
    int sizeA = count * k;
    double[] rowsA = new double[sizeA];
    int from = first * k;
    for (int i = 0; i < sizeA; i++) {
      rowsA[i] = a[from + i];
    }
    try (DoublePointer nativeA = new DoublePointer(rowsA); DoublePointer nativeE = new DoublePointer((long) count * width)) {
      openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
          openblas_nolapack.CblasNoTrans, count, width, k, 1.0, nativeA, k, nativeP, stride, 0.0, nativeE, width);
      nativeE.get(out, 0, count * width);
    }
  }

  /**
   * Blocked over P's columns and rows; four rows of A at a time share each value of P read. The
   * sums for each (row, column) still run over p in order, as the unblocked loop's did.
   */
  private void javaMultiply(float[] a, int first, int count, int width, double[] out) {
    java.util.Arrays.fill(out, 0, count * width, 0);
    double[] e0 = new double[TILE];
    double[] e1 = new double[TILE];
    double[] e2 = new double[TILE];
    double[] e3 = new double[TILE];
    for (int t0 = 0; t0 < width; t0 += TILE) {
      int tn = Math.min(TILE, width - t0);
      for (int p0 = 0; p0 < k; p0 += DEPTH) {
        int pEnd = Math.min(k, p0 + DEPTH);
        int i = 0;
        for (; i + 4 <= count; i += 4) {
          int a0 = (first + i) * k;
          int o0 = i * width + t0;
          System.arraycopy(out, o0, e0, 0, tn);
          System.arraycopy(out, o0 + width, e1, 0, tn);
          System.arraycopy(out, o0 + 2 * width, e2, 0, tn);
          System.arraycopy(out, o0 + 3 * width, e3, 0, tn);
          for (int q = p0; q < pEnd; q++) {
            double x0 = a[a0 + q];
            double x1 = a[a0 + k + q];
            double x2 = a[a0 + 2 * k + q];
            double x3 = a[a0 + 3 * k + q];
            int base = q * stride + t0;
            for (int t = 0; t < tn; t++) {
              double pv = p[base + t];
              e0[t] += x0 * pv;
              e1[t] += x1 * pv;
              e2[t] += x2 * pv;
              e3[t] += x3 * pv;
            }
          }
          System.arraycopy(e0, 0, out, o0, tn);
          System.arraycopy(e1, 0, out, o0 + width, tn);
          System.arraycopy(e2, 0, out, o0 + 2 * width, tn);
          System.arraycopy(e3, 0, out, o0 + 3 * width, tn);
        }
        for (; i < count; i++) {
          int a0 = (first + i) * k;
          int o0 = i * width + t0;
          for (int q = p0; q < pEnd; q++) {
            double x = a[a0 + q];
            int base = q * stride + t0;
            for (int t = 0; t < tn; t++) {
              out[o0 + t] += x * p[base + t];
            }
          }
        }
      }
    }
  }
}

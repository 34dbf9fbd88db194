package brain.worker;

import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;

/** The engines a headless worker can run. */
public final class Engines {
  private Engines() {}

  /**
   * Float32 products with EJML (ejml-fdense): on par with a plain i-k-j loop for small
   * slices and up to 1.45× faster for wide B, where its blocked kernels keep B in cache
   * (measured on a 2-core machine: 16×4096·4096×4096 at 2.9 vs 2.0 G multiply-adds/s on
   * one thread, 5.1 vs 4.4 on two). {@code threads} > 1 uses EJML's concurrent kernels,
   * whose thread count is process-wide.
   */
  public static MatrixEngine cpu(int threads) {
    if (threads > 1) {
      EjmlConcurrency.setMaxThreads(threads);
    }
    return new MatrixEngine() {
      @Override
      public String description() {
        return "JVM CPU (EJML) × " + threads + (threads == 1 ? " thread" : " threads");
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

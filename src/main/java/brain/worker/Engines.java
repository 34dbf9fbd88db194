package brain.worker;

import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/** The engines a headless worker can run. */
public final class Engines {
  private Engines() {}

  /**
   * Float32 multiply on {@code threads} CPU threads: rows of the slice are split between
   * threads, and each row is accumulated i-k-j so B is read row by row, contiguously.
   */
  public static MatrixEngine cpu(int threads) {
    ForkJoinPool threadPool = threads > 1 ? new ForkJoinPool(threads) : null;
    return new MatrixEngine() {
      @Override
      public String description() {
        return "JVM CPU × " + threads + (threads == 1 ? " thread" : " threads");
      }

      @Override
      public float[] multiply(float[] a, int rows, int colsA, float[] b, int colsB) {
        float[] c = new float[rows * colsB];
        if (threadPool == null || rows == 1) {
          for (int i = 0; i < rows; i++) {
            multiplyRow(a, i, colsA, b, colsB, c);
          }
        } else {
          threadPool.submit(() -> IntStream.range(0, rows).parallel()
              .forEach(i -> multiplyRow(a, i, colsA, b, colsB, c))).join();
        }
        return c;
      }
    };
  }

  static void multiplyRow(float[] a, int row, int colsA, float[] b, int colsB, float[] c) {
    int cRow = row * colsB;
    int aRow = row * colsA;
    for (int p = 0; p < colsA; p++) {
      float aip = a[aRow + p];
      int bRow = p * colsB;
      for (int j = 0; j < colsB; j++) {
        c[cRow + j] += aip * b[bRow + j];
      }
    }
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

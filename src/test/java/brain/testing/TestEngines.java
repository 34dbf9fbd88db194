package brain.testing;

import brain.worker.Engines;
import brain.worker.MatrixEngine;

/** Engines for tests. */
public final class TestEngines {
  private TestEngines() {}

  /** A CPU engine that also spends {@code ms} per chunk, like a slower machine. */
  public static MatrixEngine slowCpu(long ms) {
    MatrixEngine cpu = Engines.cpu(1);
    return new MatrixEngine() {
      @Override
      public String description() {
        return "slow test CPU";
      }

      @Override
      public float[] multiply(float[] a, int rows, int colsA, float[] b, int colsB) {
        try {
          Thread.sleep(ms); // on a worker thread: the simulated machine's time, not the test's
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return cpu.multiply(a, rows, colsA, b, colsB);
      }
    };
  }
}

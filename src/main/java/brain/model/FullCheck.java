package brain.model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.DoubleAccumulator;
import java.util.stream.IntStream;

/**
 * Verifies C = A·B by recomputing every value in double precision and comparing each with
 * the float32 error bound of its own dot product. Cost is two full products: for small jobs.
 * Blocking: call it from a worker thread.
 */
public final class FullCheck {
  private FullCheck() {}

  public static Verification verify(Matrix a, Matrix b, Matrix c) {
    int m = a.rows();
    int k = a.cols();
    int n = b.cols();
    requireShapes(a, b, c);
    float[] absB = new float[b.data().length];
    for (int i = 0; i < absB.length; i++) {
      absB[i] = Math.abs(b.data()[i]);
    }
    double gamma = Verification.gamma(k);
    double slack = Verification.absoluteSlack(k);
    DoubleAccumulator maxErr = new DoubleAccumulator(Math::max, 0);
    ConcurrentLinkedQueue<Integer> bad = new ConcurrentLinkedQueue<>();
    IntStream rows = IntStream.range(0, m);
    if ((long) m * k * n > (1L << 22)) {
      rows = rows.parallel();
    }
    rows.forEach(i -> {
      double[] exact = new double[n];
      double[] magnitude = new double[n];
      float[] ad = a.data();
      float[] bd = b.data();
      int aRow = i * k;
      for (int p = 0; p < k; p++) {
        double aip = ad[aRow + p];
        double absAip = Math.abs(aip);
        int bRow = p * n;
        for (int j = 0; j < n; j++) {
          exact[j] += aip * bd[bRow + j];
          magnitude[j] += absAip * absB[bRow + j];
        }
      }
      float[] cd = c.data();
      int cRow = i * n;
      boolean rowOk = true;
      double rowMax = 0;
      for (int j = 0; j < n; j++) {
        double err = Math.abs(cd[cRow + j] - exact[j]);
        rowMax = Math.max(rowMax, err);
        if (!(err <= gamma * magnitude[j] + slack)) {
          rowOk = false;
        }
      }
      maxErr.accumulate(rowMax);
      if (!rowOk && bad.size() < Verification.MAX_BAD_ROWS) {
        bad.add(i);
      }
    });
    List<Integer> badRows = new ArrayList<>(bad);
    badRows.sort(null);
    return new Verification(Verification.FULL, badRows.isEmpty(), maxErr.get(), 0, badRows);
  }

  static void requireShapes(Matrix a, Matrix b, Matrix c) {
    if (a.cols() != b.rows() || c.rows() != a.rows() || c.cols() != b.cols()) {
      throw new IllegalArgumentException("shapes do not chain: " + a + " · " + b + " = " + c);
    }
  }
}

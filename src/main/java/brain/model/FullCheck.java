package brain.model;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Verifies C = A·B by recomputing values in double precision and comparing each with the
 * bound of its own float32 dot product, the model of {@link ErrorBound}:
 * |c_ij − a_i·b_j| ≤ factor_k·M_ij + slack_i, M_ij = Σ_p |a_ip||b_pj|, factor_k = γ_k plus the
 * server's rounding margin (no factor 2). Blocking: call it from a worker thread.
 */
public final class FullCheck {
  private static final long PARALLEL_OPS = 1L << 22;

  private FullCheck() {}

  /** The whole product: two full products' worth of work, for small jobs. */
  public static Verification verify(Matrix a, Matrix b, Matrix c) {
    requireShapes(a, b, c);
    int m = a.rows();
    IntStream rows = IntStream.range(0, m);
    if ((long) m * a.cols() * b.cols() > PARALLEL_OPS) {
      rows = rows.parallel();
    }
    List<double[]> outcomes = rows.mapToObj(i -> checkRow(a, b, i, c.data(), i * b.cols())).toList();
    return collect(Verification.FULL, IntStream.range(0, m).toArray(), outcomes);
  }

  /**
   * Recomputes in full the rows {@code rowsToCheck} (absolute row numbers of C, each within
   * {@code rowStart .. rowStart+rows-1}) of a slice {@code cSlice} of rows × colsB values:
   * k·colsB multiply-adds per row, used to recheck sampled rows of untrusted workers.
   */
  public static Verification verifyRows(Matrix a, Matrix b, int rowStart, int rows, float[] cSlice,
      int[] rowsToCheck) {
    int n = b.cols();
    if (a.cols() != b.rows() || rowStart < 0 || rows < 0 || rowStart + rows > a.rows()
        || cSlice.length != (long) rows * n) {
      throw new IllegalArgumentException("slice does not fit " + a + " · " + b);
    }
    List<double[]> outcomes = new ArrayList<>(rowsToCheck.length);
    for (int row : rowsToCheck) {
      if (row < rowStart || row >= rowStart + rows) {
        throw new IllegalArgumentException("row " + row + " is not in the slice of rows " + rowStart + ".." + (rowStart + rows - 1));
      }
      outcomes.add(checkRow(a, b, row, cSlice, (row - rowStart) * n));
    }
    return collect(Verification.ROWS, rowsToCheck, outcomes);
  }

  /** Row i of A·B against cd[cRow ..]: {passed ? 1 : 0, max |error|, max error/tolerance}. */
  private static double[] checkRow(Matrix a, Matrix b, int i, float[] cd, int cRow) {
    int k = a.cols();
    int n = b.cols();
    float[] ad = a.data();
    float[] bd = b.data();
    double factor = ErrorBound.factor(k, 1);
    double[] exact = new double[n];
    double[] magnitude = new double[n];
    double rowWeight = 0;
    int aRow = i * k;
    for (int p = 0; p < k; p++) {
      double aip = ad[aRow + p];
      double weight = ErrorBound.weight(ad[aRow + p], factor);
      rowWeight += weight;
      if (aip == 0) {
        continue;
      }
      int bRow = p * n;
      for (int j = 0; j < n; j++) {
        float bpj = bd[bRow + j];
        exact[j] += aip * bpj;
        magnitude[j] += weight * Math.abs(bpj);
      }
    }
    double slack = ErrorBound.slack(k, rowWeight);
    boolean ok = true;
    double maxErr = 0;
    double maxRatio = 0;
    for (int j = 0; j < n; j++) {
      double err = Math.abs(cd[cRow + j] - exact[j]);
      double tolerance = factor * magnitude[j] + slack;
      ok &= err <= tolerance; // false for NaN
      maxErr = Math.max(maxErr, err);
      maxRatio = Math.max(maxRatio, err / tolerance);
    }
    return new double[] {ok ? 1 : 0, maxErr, maxRatio};
  }

  private static Verification collect(String method, int[] rowNumbers, List<double[]> outcomes) {
    List<Integer> bad = new ArrayList<>();
    double maxErr = 0;
    double maxRatio = 0;
    for (int t = 0; t < outcomes.size(); t++) {
      double[] o = outcomes.get(t);
      if (o[0] == 0 && bad.size() < Verification.MAX_BAD_ROWS) {
        bad.add(rowNumbers[t]);
      }
      maxErr = Math.max(maxErr, o[1]);
      maxRatio = Math.max(maxRatio, o[2]);
    }
    return new Verification(method, bad.isEmpty(), maxErr, 0, List.copyOf(bad), maxRatio);
  }

  static void requireShapes(Matrix a, Matrix b, Matrix c) {
    if (a.cols() != b.rows() || c.rows() != a.rows() || c.cols() != b.cols()) {
      throw new IllegalArgumentException("shapes do not chain: " + a + " · " + b + " = " + c);
    }
  }
}

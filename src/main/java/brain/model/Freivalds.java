package brain.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Freivalds' randomized check of C = A·B, row by row: for secret random sign vectors r,
 * (C·r)_i must equal (A·(B·r))_i within the float32 error bound of row i. Costs
 * O(vectors · (rows·colsA + rows·colsB)) per slice after an O(vectors · colsA · colsB) set-up,
 * so the server can check every chunk as it arrives. A row wrong by more than the float32
 * tolerance escapes one vector with probability at most 1/2, all of them with at most
 * 2^-vectors. The tolerance is that of the row's whole projection, so it is looser than the
 * per-value tolerance of {@link FullCheck}: errors of a size float32 rounding could produce
 * in a row pass; wrong results do not.
 *
 * <p>Immutable after {@link #prepare}; safe to use from several worker threads at once.
 */
public final class Freivalds {
  private final int colsA;
  private final int colsB;
  private final float[][] signs; // r vectors, entries -1 or +1, length colsB
  private final double[][] bTimesR; // B·r, length colsA
  private final double[] absBRowSums; // |B|·|r| = row sums of |B|, length colsA
  private final double[] bRowNorms; // Euclidean norms of the rows of B, length colsA
  private final double gamma;
  private final double slack;

  /**
   * Hoeffding: for signs independent of the errors e, |r·e| <= t·|e|_2 except with probability
   * 2·exp(-t²/2), about 4e-22 for t = 10.
   */
  private static final double HOEFFDING_T = 10;

  private Freivalds(int colsA, int colsB, float[][] signs, double[][] bTimesR, double[] absBRowSums,
      double[] bRowNorms) {
    this.colsA = colsA;
    this.colsB = colsB;
    this.signs = signs;
    this.bTimesR = bTimesR;
    this.absBRowSums = absBRowSums;
    this.bRowNorms = bRowNorms;
    this.gamma = Verification.gamma(colsA);
    this.slack = Verification.absoluteSlack(colsA);
  }

  /** Draws {@code vectors} sign vectors and precomputes B·r. Blocking for large B. */
  public static Freivalds prepare(Matrix b, int vectors, SplittableRandom random) {
    int k = b.rows();
    int n = b.cols();
    float[] bd = b.data();
    float[][] signs = new float[vectors][n];
    double[][] bTimesR = new double[vectors][k];
    double[] absRowSums = new double[k];
    double[] rowNorms = new double[k];
    for (int v = 0; v < vectors; v++) {
      for (int j = 0; j < n; j++) {
        signs[v][j] = random.nextBoolean() ? 1f : -1f;
      }
    }
    for (int p = 0; p < k; p++) {
      int row = p * n;
      double abs = 0;
      double squares = 0;
      for (int j = 0; j < n; j++) {
        abs += Math.abs(bd[row + j]);
        squares += (double) bd[row + j] * bd[row + j];
      }
      absRowSums[p] = abs;
      rowNorms[p] = Math.sqrt(squares);
      for (int v = 0; v < vectors; v++) {
        float[] r = signs[v];
        double sum = 0;
        for (int j = 0; j < n; j++) {
          sum += (double) bd[row + j] * r[j];
        }
        bTimesR[v][p] = sum;
      }
    }
    return new Freivalds(k, n, signs, bTimesR, absRowSums, rowNorms);
  }

  public int vectors() {
    return signs.length;
  }

  /**
   * Checks rows {@code rowStart .. rowStart+rows-1} of C, given as {@code cSlice}
   * (rows × colsB), against the same rows of A. Row numbers in the answer are absolute.
   */
  public Verification checkSlice(Matrix a, int rowStart, int rows, float[] cSlice) {
    if (a.cols() != colsA || cSlice.length != rows * colsB || rowStart + rows > a.rows()) {
      throw new IllegalArgumentException("slice does not fit the prepared check");
    }
    float[] ad = a.data();
    double maxErr = 0;
    List<Integer> bad = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      int aRow = (rowStart + i) * colsA;
      // Each value's float32 error is at most gamma·sum_k|a_ik||b_kj|; projected on r, the error
      // of the row is bounded both by summing those bounds and (for wide B) by Hoeffding.
      double worstCase = 0;
      double likely = 0;
      for (int p = 0; p < colsA; p++) {
        double absA = Math.abs(ad[aRow + p]);
        worstCase += absA * absBRowSums[p];
        likely += absA * bRowNorms[p];
      }
      double tolerance = gamma * Math.min(worstCase, HOEFFDING_T * likely) + slack;
      boolean rowOk = true;
      for (int v = 0; v < signs.length; v++) {
        double[] br = bTimesR[v];
        double expected = 0;
        for (int p = 0; p < colsA; p++) {
          expected += ad[aRow + p] * br[p];
        }
        float[] r = signs[v];
        double actual = 0;
        int cRow = i * colsB;
        for (int j = 0; j < colsB; j++) {
          actual += (double) cSlice[cRow + j] * r[j];
        }
        double err = Math.abs(actual - expected);
        maxErr = Math.max(maxErr, err);
        if (!(err <= tolerance)) {
          rowOk = false;
        }
      }
      if (!rowOk && bad.size() < Verification.MAX_BAD_ROWS) {
        bad.add(rowStart + i);
      }
    }
    return new Verification(Verification.FREIVALDS, bad.isEmpty(), maxErr, signs.length, bad);
  }

  /** Checks all of C. */
  public Verification checkAll(Matrix a, Matrix c) {
    if (c.rows() != a.rows() || c.cols() != colsB) {
      throw new IllegalArgumentException("C is " + c + " but A·B is " + a.rows() + "x" + colsB);
    }
    return checkSlice(a, 0, a.rows(), c.data());
  }
}

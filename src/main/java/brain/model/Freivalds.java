package brain.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Grouped Freivalds check of C = A·B, deterministic in its tolerance. The n columns are dealt
 * into groups of at most g by a secret random permutation; for each secret sign vector r_v and
 * group G the server compares, in double,
 *
 * <pre>  actual = Σ_{j∈G} r_vj·c_ij   with   expected = a_i · (B_G r_vG)</pre>
 *
 * and refuses the row when |actual − expected| > factor·(|a_i|·(|B|·1_G)) + |G|·slack_i (see
 * {@link ErrorBound}): the sum over the group of the per-value bound γ_k·M_ij that an honest
 * float32 product can never exceed, whatever its summation order. No probability is involved in
 * passing honest work; one wrong value beyond roughly g times its own bound is caught by every
 * vector, since it cannot hide in the noise budget of the other n−1 columns of its row.
 *
 * <p>Why a secret permutation rather than consecutive columns: two errors can only cancel when
 * they share a group; with consecutive groups a cheat knows which columns do (and then escapes
 * each vector with probability 1/2), with secret groups a pair shares one with probability only
 * (g−1)/(n−1). Why several vectors: each halves the chance of such a cancellation.
 *
 * <p>Cost per row: v·k·n/g multiply-adds for the expected values (v/g of the product), v·n for
 * the actual ones, and k more for a group whose error is above a cheap lower bound of its
 * tolerance (min_p (|B|1_G)_p · ‖a_i‖₁), which honest results hardly ever are. Memory: the
 * k × (v·n/g) projections in double, 2v/g times the bytes of B.
 *
 * <p>Immutable after {@link #prepare}; safe to use from several threads at once.
 */
public final class Freivalds {
  /** Recommended group width: one value off by 1e-3 of its row max is caught on 512×384·384×384 with margin 1.7. */
  public static final int DEFAULT_GROUP_COLUMNS = 4;

  private static final long PARALLEL_OPS = 1L << 22;
  private static final int ROWS_PER_TASK = 128;
  /** Rows whose expected values are computed in one product (128 × v·n/g doubles). */
  private static final int BLOCK_ROWS = 128;
  /** Keeps the lower bound of a tolerance below the exactly computed one despite rounding. */
  private static final double LOWER_SHRINK = 1 - 0x1.0p-32;

  private final int colsA;
  private final int colsB;
  private final int vectors;
  private final int groupColumns;
  private final int groups;
  private final int[] groupOf; // column j -> its secret group
  private final int[] groupSize;
  private final float[][] signs; // [v][j], -1 or +1
  /** A's rows times the projections [p·vectors·groups + v·groups + G] = Σ_{j∈G} r_vj·b_pj: the expected values. */
  private final ProjectionProduct product;
  private final double[] groupAbs; // [G·colsA + p] = Σ_{j∈G} |b_pj|
  private final double[] groupAbsMin; // [G] = min_p groupAbs
  private final double factor;

  private Freivalds(Matrix b, int vectors, int groupColumns, SplittableRandom random) {
    colsA = b.rows();
    colsB = b.cols();
    this.vectors = vectors;
    this.groupColumns = Math.max(1, Math.min(groupColumns, colsB));
    groups = (colsB + this.groupColumns - 1) / this.groupColumns;
    int[] order = new int[colsB];
    for (int t = 0; t < colsB; t++) {
      int s = random.nextInt(t + 1); // Fisher–Yates, inside out
      order[t] = order[s];
      order[s] = t;
    }
    groupOf = new int[colsB];
    groupSize = new int[groups];
    for (int t = 0; t < colsB; t++) {
      groupOf[order[t]] = t / this.groupColumns;
      groupSize[t / this.groupColumns]++;
    }
    signs = new float[vectors][colsB];
    for (float[] r : signs) {
      for (int j = 0; j < colsB; j++) {
        r[j] = random.nextBoolean() ? 1f : -1f;
      }
    }
    double[] projected = new double[colsA * vectors * groups];
    groupAbs = new double[groups * colsA];
    IntStream ps = IntStream.range(0, colsA);
    if ((long) colsA * colsB * (vectors + 1) > PARALLEL_OPS) {
      ps = ps.parallel(); // each p writes only its own entries
    }
    ps.forEach(p -> projectRow(b.data(), p, projected));
    groupAbsMin = new double[groups];
    for (int g = 0; g < groups; g++) {
      double min = Double.POSITIVE_INFINITY;
      for (int p = 0; p < colsA; p++) {
        min = Math.min(min, groupAbs[g * colsA + p]);
      }
      groupAbsMin[g] = colsA == 0 ? 0 : min;
    }
    factor = ErrorBound.factor(colsA, this.groupColumns);
    product = new ProjectionProduct(projected, colsA, vectors * groups, true);
  }

  private void projectRow(float[] bd, int p, double[] projected) {
    int row = p * colsB;
    int base = p * vectors * groups;
    for (int j = 0; j < colsB; j++) {
      float bpj = bd[row + j];
      int g = groupOf[j];
      groupAbs[g * colsA + p] += Math.abs(bpj);
      for (int v = 0; v < vectors; v++) {
        projected[base + v * groups + g] += signs[v][j] * bpj; // ±1·b is exact
      }
    }
  }

  /**
   * Draws the secret permutation and {@code vectors} sign vectors, and precomputes B's
   * projections. Blocking (parallel for a large B): call it from a worker thread.
   */
  public static Freivalds prepare(Matrix b, int vectors, int groupColumns, SplittableRandom random) {
    if (vectors < 1 || groupColumns < 1) {
      throw new IllegalArgumentException("need vectors >= 1 and groupColumns >= 1, got " + vectors + ", " + groupColumns);
    }
    return new Freivalds(b, vectors, groupColumns, random);
  }

  /** As {@link #prepare(Matrix, int, int, SplittableRandom)} with {@link #DEFAULT_GROUP_COLUMNS}. */
  public static Freivalds prepare(Matrix b, int vectors, SplittableRandom random) {
    return prepare(b, vectors, DEFAULT_GROUP_COLUMNS, random);
  }

  /** The number of vectors prepared: the most a check may use. */
  public int vectors() {
    return vectors;
  }

  /** The group width in use (the one asked for, at most the number of columns). */
  public int groupColumns() {
    return groupColumns;
  }

  /**
   * Multiply-adds a check of {@code rows} rows with {@code vectorsToUse} vectors costs when honest
   * (k·ceil(n/g)·v + n·v per row; a refused row may cost up to k·ceil(n/g) more), to decide
   * whether it may run inline or belongs on a worker thread.
   */
  public long multiplyAdds(int rows, int vectorsToUse) {
    return (long) rows * vectorsToUse * ((long) colsA * groups + colsB);
  }

  /** Checks with all prepared vectors; see {@link #checkSlice(Matrix, int, int, float[], int)}. */
  public Verification checkSlice(Matrix a, int rowStart, int rows, float[] cSlice) {
    return checkSlice(a, rowStart, rows, cSlice, vectors);
  }

  /**
   * Checks rows {@code rowStart .. rowStart+rows-1} of C, given as {@code cSlice} (rows × colsB),
   * against the same rows of A, with the first {@code vectorsToUse} prepared vectors. Row
   * numbers in the answer are absolute. A slice of the wrong length, rows outside A or more
   * vectors than prepared throw IllegalArgumentException.
   */
  public Verification checkSlice(Matrix a, int rowStart, int rows, float[] cSlice, int vectorsToUse) {
    if (vectorsToUse < 1 || vectorsToUse > vectors) {
      throw new IllegalArgumentException("asked for " + vectorsToUse + " vectors, " + vectors + " prepared");
    }
    if (a.cols() != colsA || rows < 0 || rowStart < 0 || rowStart + rows > a.rows()
        || cSlice.length != (long) rows * colsB) {
      throw new IllegalArgumentException("slice does not fit the prepared check");
    }
    Tally tally = new Tally();
    checkRows(a.data(), rowStart, rows, cSlice, 0, vectorsToUse, tally);
    return tally.result(vectorsToUse);
  }

  /** Checks all of C with all vectors, in parallel for a large product. */
  public Verification checkAll(Matrix a, Matrix c) {
    if (c.rows() != a.rows() || c.cols() != colsB || a.cols() != colsA) {
      throw new IllegalArgumentException("C is " + c + " but A·B is " + a.rows() + "x" + colsB);
    }
    int m = a.rows();
    if ((long) m * colsA * groups * vectors < PARALLEL_OPS) {
      return checkSlice(a, 0, m, c.data());
    }
    List<Tally> parts = IntStream.range(0, (m + ROWS_PER_TASK - 1) / ROWS_PER_TASK).parallel().mapToObj(t -> {
      Tally part = new Tally();
      int first = t * ROWS_PER_TASK;
      checkRows(a.data(), first, Math.min(ROWS_PER_TASK, m - first), c.data(), first * colsB, vectors, part);
      return part;
    }).toList();
    Tally all = new Tally();
    parts.forEach(all::add);
    return all.result(vectors);
  }

  /** Rows first .. first+count-1 of A against C's rows starting at cd[cOffset], in blocks of rows. */
  private void checkRows(float[] ad, int first, int count, float[] cd, int cOffset, int used, Tally tally) {
    int width = used * groups;
    double[] expected = new double[Math.min(count, BLOCK_ROWS) * width];
    double[] actual = new double[width];
    double[] weights = new double[colsA];
    for (int block = 0; block < count; block += BLOCK_ROWS) {
      int rows = Math.min(BLOCK_ROWS, count - block);
      product.multiply(ad, first + block, rows, width, expected);
      for (int i = block; i < block + rows; i++) {
        checkRow(ad, first + i, expected, (i - block) * width, cd, cOffset + i * colsB, used, actual, weights, tally);
      }
    }
  }

  /** One row: its expected values are expected[e .. e+width-1], its values of C cd[cRow ..]. */
  private void checkRow(float[] ad, int row, double[] expected, int e, float[] cd, int cRow, int used, double[] actual,
      double[] weights, Tally tally) {
    Arrays.fill(actual, 0);
    int aRow = row * colsA;
    double rowWeight = 0;
    for (int p = 0; p < colsA; p++) {
      double w = ErrorBound.weight(ad[aRow + p], factor);
      weights[p] = w;
      rowWeight += w;
    }
    for (int j = 0; j < colsB; j++) {
      float c = cd[cRow + j];
      int g = groupOf[j];
      for (int v = 0; v < used; v++) {
        actual[v * groups + g] += signs[v][j] * c;
      }
    }
    double slack = ErrorBound.slack(colsA, rowWeight);
    boolean rowOk = true;
    for (int g = 0; g < groups; g++) {
      double err = 0;
      for (int v = 0; v < used; v++) {
        err = Math.max(err, Math.abs(actual[v * groups + g] - expected[e + v * groups + g])); // NaN stays NaN
      }
      double groupSlack = groupSize[g] * slack;
      double tolerance = factor * groupAbsMin[g] * rowWeight * LOWER_SHRINK + groupSlack;
      if (!(err <= tolerance)) { // above the cheap lower bound: compute the exact tolerance
        double s = 0;
        int base = g * colsA;
        for (int p = 0; p < colsA; p++) {
          s += weights[p] * groupAbs[base + p];
        }
        tolerance = factor * s + groupSlack;
        rowOk &= err <= tolerance; // false for NaN
      }
      tally.error(err, err / tolerance);
    }
    if (!rowOk) {
      tally.bad(row);
    }
  }

  /** Running results of a check; maxErrorRatio is an upper bound where only the lower bound was needed. */
  private static final class Tally {
    double maxErr;
    double maxRatio;
    final List<Integer> bad = new ArrayList<>();

    void error(double err, double ratio) {
      maxErr = Math.max(maxErr, err);
      maxRatio = Math.max(maxRatio, ratio);
    }

    void bad(int row) {
      if (bad.size() < Verification.MAX_BAD_ROWS) {
        bad.add(row);
      }
    }

    void add(Tally other) {
      error(other.maxErr, other.maxRatio);
      other.bad.forEach(this::bad);
    }

    Verification result(int vectorsUsed) {
      return new Verification(Verification.FREIVALDS, bad.isEmpty(), maxErr, vectorsUsed, List.copyOf(bad), maxRatio);
    }
  }
}

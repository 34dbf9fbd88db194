package brain.model;

import static org.junit.jupiter.api.Assertions.*;

import brain.model.HonestProducts.Order;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Wrong results are refused: on the 512×384·384×384 uniform [-1,1) job of issue 8 (16-row
 * chunks, the default group width, 2 prepared vectors) and on a few other shapes. Prints the
 * smallest single-value error caught and the check's cost.
 */
class CheckDetectionTest {
  private static final int M = 512;
  private static final int K = 384;
  private static final int N = 384;
  private static final int CHUNK = 16;
  private static final int VECTORS = 2;

  private static Matrix a;
  private static Matrix b;
  private static Matrix c;
  private static double[] rowMax;
  private static Freivalds check;

  @BeforeAll
  static void honestProduct() {
    a = InputGenerator.a(8, M, K);
    b = InputGenerator.b(8, K, N);
    c = Order.BLOCKED8.multiply(a, b, 1);
    rowMax = rowMax(c);
    check = Freivalds.prepare(b, VECTORS, Freivalds.DEFAULT_GROUP_COLUMNS, new SplittableRandom(77));
  }

  private static double[] rowMax(Matrix c) {
    double[] max = new double[c.rows()];
    for (int i = 0; i < c.rows(); i++) {
      for (int j = 0; j < c.cols(); j++) {
        max[i] = Math.max(max[i], Math.abs(c.get(i, j)));
      }
    }
    return max;
  }

  private static float[] chunkOf(Matrix c, int chunk) {
    return Arrays.copyOfRange(c.data(), chunk * CHUNK * c.cols(), (chunk + 1) * CHUNK * c.cols());
  }

  /** Rows sorted by their largest |value|, smallest first: where one value can hide best. */
  private static int[] rowsBySmallestMax(double[] max) {
    return IntStream.range(0, max.length).boxed().sorted(Comparator.comparingDouble(i -> max[i]))
        .mapToInt(Integer::intValue).toArray();
  }

  @Test
  void honestChunksAndTheWholeProductPass() {
    for (int chunk = 0; chunk < M / CHUNK; chunk++) {
      for (int used = 1; used <= VECTORS; used++) {
        assertTrue(check.checkSlice(a, chunk * CHUNK, CHUNK, chunkOf(c, chunk), used).passed(), "chunk " + chunk);
      }
    }
    assertTrue(check.checkAll(a, c).passed());
    assertTrue(FullCheck.verify(a, b, c).passed());
  }

  /** One value off by 1e-3 of its row's largest |value|, up or down, is refused by every check and named. */
  @Test
  void oneValueOffByAThousandthOfItsRowMaxIsAlwaysRefused() {
    SplittableRandom random = new SplittableRandom(3);
    int[] smallest = rowsBySmallestMax(rowMax);
    for (int trial = 0; trial < 96; trial++) {
      int i = trial < 32 ? smallest[trial / 4] : random.nextInt(M);
      int j = random.nextInt(N);
      double delta = (random.nextBoolean() ? 1 : -1) * 1e-3 * rowMax[i];
      int chunk = i / CHUNK;
      float[] slice = chunkOf(c, chunk);
      slice[(i % CHUNK) * N + j] += (float) delta;
      String what = "value (" + i + "," + j + ") off by " + delta;
      for (int used = 1; used <= VECTORS; used++) {
        Verification v = check.checkSlice(a, chunk * CHUNK, CHUNK, slice, used);
        assertEquals(List.of(i), v.badRows(), what + " with " + used + " vectors: " + v);
      }
      assertFalse(FullCheck.verifyRows(a, b, chunk * CHUNK, CHUNK, slice, new int[] {i}).passed(), what);
      if (trial % 16 == 0) { // the final checks, on the whole product
        float[] whole = c.data().clone();
        whole[i * N + j] += (float) delta;
        assertEquals(List.of(i), check.checkAll(a, new Matrix(M, N, whole)).badRows(), what);
        if (trial % 48 == 0) {
          assertEquals(List.of(i), FullCheck.verify(a, b, new Matrix(M, N, whole)).badRows(), what);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}x{1}·{1}x{2}")
  @CsvSource({"100,128,200", "37,64,1000", "64,256,64", "40,384,512"})
  void otherShapesToo(int m, int k, int n) {
    Matrix a = InputGenerator.a(m + k, m, k);
    Matrix b = InputGenerator.b(m + k, k, n);
    Matrix c = Order.RECURSIVE.multiply(a, b, 1);
    double[] max = rowMax(c);
    Freivalds check = Freivalds.prepare(b, 1, Freivalds.DEFAULT_GROUP_COLUMNS, new SplittableRandom(k));
    assertTrue(check.checkAll(a, c).passed());
    SplittableRandom random = new SplittableRandom(n);
    int[] smallest = rowsBySmallestMax(max);
    for (int trial = 0; trial < 40; trial++) {
      int i = trial < 10 ? smallest[trial] : random.nextInt(m);
      int j = random.nextInt(n);
      float[] row = Arrays.copyOfRange(c.data(), i * n, (i + 1) * n);
      row[j] += (float) ((random.nextBoolean() ? 1 : -1) * 1e-3 * max[i]);
      assertFalse(check.checkSlice(a, i, 1, row).passed(), "value (" + i + "," + j + ")");
    }
    float[] whole = c.data().clone();
    for (int t = 0; t < whole.length; t++) {
      whole[t] = HonestProducts.toBfloat16(whole[t]);
    }
    assertFalse(check.checkAll(a, new Matrix(m, n, whole)).passed(), "bfloat16");
  }

  /** Whole-slice forgeries: every 16-row chunk refused, and the whole product by the final checks. */
  @Test
  void forgedSlicesAreAlwaysRefused() {
    SplittableRandom random = new SplittableRandom(5);
    List<UnaryOperator<float[]>> forgeries = List.of(
        s -> map(s, x -> x * 1.001f),
        s -> map(s, HonestProducts::toBfloat16),
        s -> map(s, HonestProducts::toFloat16),
        s -> new float[s.length],
        s -> map(s, x -> (float) (random.nextDouble() * 40 - 20)),
        s -> with(s, random.nextInt(s.length), Float.NaN),
        s -> with(s, random.nextInt(s.length), Float.POSITIVE_INFINITY),
        s -> with(s, random.nextInt(s.length), Float.NEGATIVE_INFINITY));
    String[] names = {"x1.001", "bfloat16", "float16", "zeros", "random", "NaN", "+Infinity", "-Infinity"};
    for (int f = 0; f < forgeries.size(); f++) {
      for (int chunk = 0; chunk < M / CHUNK; chunk++) {
        float[] forged = forgeries.get(f).apply(chunkOf(c, chunk));
        for (int used = 1; used <= VECTORS; used++) {
          assertFalse(check.checkSlice(a, chunk * CHUNK, CHUNK, forged, used).passed(), names[f] + " chunk " + chunk);
        }
      }
      if (f < 3) {
        Matrix whole = new Matrix(M, N, forgeries.get(f).apply(c.data().clone()));
        assertFalse(check.checkAll(a, whole).passed(), names[f]);
        assertFalse(FullCheck.verify(a, b, whole).passed(), names[f]);
      }
    }
    for (int chunk = 0; chunk + 1 < M / CHUNK; chunk++) { // a replayed result of the next chunk
      assertFalse(check.checkSlice(a, chunk * CHUNK, CHUNK, chunkOf(c, chunk + 1)).passed(), "replayed " + chunk);
    }
    float[] shifted = Arrays.copyOfRange(c.data(), N, (CHUNK + 1) * N); // rows 1..16 as rows 0..15
    assertEquals(CHUNK, check.checkSlice(a, 0, CHUNK, shifted).badRows().size(), "shifted by one row");
    assertThrows(IllegalArgumentException.class, () -> check.checkSlice(a, 0, CHUNK, new float[CHUNK * N - 1]));
    assertThrows(IllegalArgumentException.class, () -> check.checkSlice(a, 0, CHUNK, new float[CHUNK * N + N]));
  }

  private static float[] map(float[] s, FloatOp op) {
    for (int t = 0; t < s.length; t++) {
      s[t] = op.apply(s[t]);
    }
    return s;
  }

  private static float[] with(float[] s, int at, float value) {
    s[at] = value;
    return s;
  }

  interface FloatOp {
    float apply(float x);
  }

  /**
   * The smallest error of one value that is refused (both signs, one vector), by bisection on
   * every row and on the 16 rows with the smallest max, as a multiple of that value's own
   * honest bound and of its row's largest |value|.
   */
  @Test
  void reportTheSmallestErrorCaughtAndTheCost() {
    SplittableRandom random = new SplittableRandom(11);
    int[] smallest = rowsBySmallestMax(rowMax);
    int trials = M * 2 + 16 * 16;
    double[] ofBound = new double[trials];
    double[] ofRowMax = new double[trials];
    double factor = ErrorBound.factor(K, 1);
    for (int t = 0; t < trials; t++) {
      int i = t < 2 * M ? t / 2 : smallest[(t - 2 * M) / 16];
      int j = random.nextInt(N);
      double magnitude = 0;
      double rowAbs = 0;
      for (int p = 0; p < K; p++) {
        magnitude += Math.abs(a.get(i, p)) * Math.abs(b.get(p, j));
        rowAbs += Math.abs(a.get(i, p));
      }
      double bound = factor * magnitude + ErrorBound.slack(K, rowAbs);
      float[] row = Arrays.copyOfRange(c.data(), i * N, (i + 1) * N);
      double threshold = 0;
      for (int sign : new int[] {1, -1}) {
        double lo = 0;
        double hi = 4e-3 * rowMax[i];
        for (int step = 0; step < 24; step++) {
          double mid = (lo + hi) / 2;
          row[j] = (float) (c.get(i, j) + sign * mid);
          if (check.checkSlice(a, i, 1, row, 1).passed()) {
            lo = mid;
          } else {
            hi = mid;
          }
        }
        row[j] = (float) (c.get(i, j) + sign * 4e-3 * rowMax[i]);
        assertFalse(check.checkSlice(a, i, 1, row, 1).passed(), "4e-3 of the row max is caught");
        row[j] = c.get(i, j);
        threshold = Math.max(threshold, hi);
      }
      ofBound[t] = threshold / bound;
      ofRowMax[t] = threshold / rowMax[i];
    }
    Arrays.sort(ofBound);
    Arrays.sort(ofRowMax);
    int g = check.groupColumns();
    System.out.printf("%dx%d·%dx%d uniform [-1,1), g=%d: smallest single-value error caught, as a multiple of its own"
        + " bound γ_k·M_ij+slack: min %.2f median %.2f max %.2f; of its row's max |value|: min %.2e median %.2e max %.2e"
        + " (honest per-value bound median %.2e of the row max)%n", M, K, K, N, g, ofBound[0], ofBound[trials / 2],
        ofBound[trials - 1], ofRowMax[0], ofRowMax[trials / 2], ofRowMax[trials - 1], ofRowMax[trials / 2] / ofBound[trials / 2]);
    for (int v = 1; v <= VECTORS; v++) {
      double groups = Math.ceil((double) N / g);
      System.out.printf("cost with %d vector(s): %.3f of the product's multiply-adds (up to %.3f more in rows where a group's"
          + " error passes the cheap lower bound of its tolerance, which honest rows hardly ever do)%n", v,
          check.multiplyAdds(M, v) / ((double) M * K * N), groups * K / ((double) K * N));
    }
    assertTrue(ofRowMax[trials - 1] < 1e-3 / 1.5, "1e-3 of the row max is caught with margin 1.5: " + ofRowMax[trials - 1]);
  }
}

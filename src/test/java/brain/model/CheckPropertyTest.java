package brain.model;

import static org.junit.jupiter.api.Assertions.*;

import brain.model.HonestProducts.Order;
import brain.model.HonestProducts.Values;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property: an honest float32 product, in any of the summation orders engines use and on
 * awkward inputs, is never refused by the grouped Freivalds check (any vectors, any group
 * width 1..64, whole product or slices) nor by full recomputation.
 */
class CheckPropertyTest {
  /** Largest err/tolerance of the full check per order, cases with k >= 16: how close honest work comes. */
  private static final Map<Order, Double> WORST = new EnumMap<>(Order.class);

  record Case(int m, int k, int n, Values a, Values b, long seed) {
    @Override
    public String toString() {
      return m + "x" + k + "·" + k + "x" + n + " " + a + "·" + b + " seed " + seed;
    }
  }

  static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    cases.add(new Case(1, 1, 1, Values.UNIFORM, Values.UNIFORM, 1));
    cases.add(new Case(1, 1, 1, Values.TINY, Values.SUBNORMAL, 2));
    cases.add(new Case(1, 300, 1, Values.UNIFORM, Values.UNIFORM, 3));
    cases.add(new Case(1, 2000, 1, Values.CONSTANT, Values.CONSTANT, 4));
    cases.add(new Case(40, 1, 50, Values.WIDE_RANGE, Values.UNIFORM, 5));
    cases.add(new Case(300, 3, 40, Values.UNIFORM, Values.POSITIVE, 6));
    cases.add(new Case(3, 5, 300, Values.SPARSE, Values.LARGE, 7));
    cases.add(new Case(6, 2000, 24, Values.UNIFORM, Values.UNIFORM, 8));
    cases.add(new Case(6, 2000, 24, Values.POSITIVE, Values.POSITIVE, 9));
    cases.add(new Case(6, 2000, 24, Values.CONSTANT, Values.CONSTANT, 10));
    cases.add(new Case(4, 2048, 8, Values.CONSTANT, Values.POSITIVE, 11));
    cases.add(new Case(5, 1999, 7, Values.SUBNORMAL, Values.LARGE, 12));
    cases.add(new Case(5, 1500, 9, Values.TINY, Values.TINY, 13));
    cases.add(new Case(9, 700, 11, Values.ALL_SUBNORMAL, Values.LARGE, 14));
    cases.add(new Case(9, 700, 11, Values.LARGE, Values.ALL_SUBNORMAL, 15));
    // Every kind of A against every kind of B, in random shapes up to 300 per dimension.
    SplittableRandom random = new SplittableRandom(2024);
    for (Values a : Values.values()) {
      for (Values b : Values.values()) {
        int m;
        int k;
        int n;
        do {
          m = 1 + random.nextInt(300);
          k = 1 + random.nextInt(300);
          n = 1 + random.nextInt(300);
        } while ((long) m * k * n > 250_000);
        cases.add(new Case(m, k, n, a, b, random.nextLong()));
      }
    }
    return cases;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void honestProductsAreNeverRefused(Case t) {
    SplittableRandom random = new SplittableRandom(t.seed());
    Matrix a = t.a().matrix(t.m(), t.k(), random);
    Matrix b = t.b().matrix(t.k(), t.n(), random);
    for (Order order : Order.values()) {
      Matrix c = order.multiply(a, b, random.nextLong());
      String what = t + ", " + order;

      Verification full = FullCheck.verify(a, b, c);
      assertTrue(full.passed(), () -> "full check refused " + what + ": " + full);
      if (t.k() >= 16) { // for k = 1 one rounding can reach the bound: ratio up to 1 by construction
        WORST.merge(order, full.maxErrorRatio(), Math::max);
      }

      int vectors = 1 + random.nextInt(4);
      int groupColumns = 1 + random.nextInt(64);
      Freivalds check = Freivalds.prepare(b, vectors, groupColumns, new SplittableRandom(random.nextLong()));
      Verification all = check.checkAll(a, c);
      assertTrue(all.passed(), () -> "Freivalds g=" + groupColumns + " refused " + what + ": " + all);

      int rowStart = random.nextInt(t.m());
      int rows = 1 + random.nextInt(t.m() - rowStart);
      float[] slice = new float[rows * t.n()];
      System.arraycopy(c.data(), rowStart * t.n(), slice, 0, slice.length);
      int used = 1 + random.nextInt(vectors);
      Verification part = check.checkSlice(a, rowStart, rows, slice, used);
      assertTrue(part.passed(), () -> "slice check g=" + groupColumns + " refused " + what + ": " + part);
      assertEquals(used, part.vectors());

      int[] sampled = random.ints(3, rowStart, rowStart + rows).toArray();
      Verification recomputed = FullCheck.verifyRows(a, b, rowStart, rows, slice, sampled);
      assertTrue(recomputed.passed(), () -> "row recomputation refused " + what + ": " + recomputed);
    }
  }

  @Test
  void theBoundIsTheClassicGammaWithoutAFactorTwo() {
    assertEquals(384 * 0x1p-24 / (1 - 384 * 0x1p-24), ErrorBound.gamma(384), 0);
    // The server's margin is some 2^-28 of γ_k: it does not loosen the check.
    double margin = ErrorBound.factor(384, 4) - ErrorBound.gamma(384);
    assertTrue(margin > 0 && margin < ErrorBound.gamma(384) * 1e-7, "margin " + margin);
    assertThrows(IllegalArgumentException.class, () -> ErrorBound.gamma(1 << 23));
  }

  @Test
  void checksRefuseWhatTheyCannotCheck() {
    Matrix a = Values.UNIFORM.matrix(8, 16, new SplittableRandom(1));
    Matrix b = Values.UNIFORM.matrix(16, 10, new SplittableRandom(2));
    Freivalds check = Freivalds.prepare(b, 2, 4, new SplittableRandom(3));
    float[] slice = new float[2 * 10];
    assertThrows(IllegalArgumentException.class, () -> check.checkSlice(a, 0, 2, slice, 3), "more vectors than prepared");
    assertThrows(IllegalArgumentException.class, () -> check.checkSlice(a, 0, 2, slice, 0), "no vector");
    assertThrows(IllegalArgumentException.class, () -> check.checkSlice(a, 7, 2, slice), "rows beyond A");
    assertThrows(IllegalArgumentException.class, () -> Freivalds.prepare(b, 1, 0, new SplittableRandom(1)));
    assertThrows(IllegalArgumentException.class, () -> FullCheck.verifyRows(a, b, 2, 2, slice, new int[] {1}),
        "a row outside the slice (row numbers are absolute)");
    assertEquals(10, Freivalds.prepare(b, 1, 64, new SplittableRandom(1)).groupColumns(), "width capped at n");
  }

  @AfterAll
  static void report() {
    System.out.println("Largest err/tolerance of honest products (full check, k >= 16), by summation order: " + WORST);
  }
}

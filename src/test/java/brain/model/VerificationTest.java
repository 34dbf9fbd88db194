package brain.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Freivalds' check and full recomputation: right products pass, wrong ones are caught. */
class VerificationTest {
  private static final int M = 131;
  private static final int K = 257;
  private static final int N = 67;

  private final Matrix a = InputGenerator.a(11, M, K);
  private final Matrix b = InputGenerator.b(11, K, N);

  /** float32 product accumulated in a different order than any checker (columns of B outer). */
  private static Matrix product(Matrix a, Matrix b, boolean reverseSum) {
    int m = a.rows();
    int k = a.cols();
    int n = b.cols();
    float[] c = new float[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float sum = 0;
        for (int q = 0; q < k; q++) {
          int p = reverseSum ? k - 1 - q : q;
          sum += a.get(i, p) * b.get(p, j);
        }
        c[i * n + j] = sum;
      }
    }
    return new Matrix(m, n, c);
  }

  @Test
  @DisplayName("a float32 product passes both checks, whatever the summation order")
  void rightProductsPass() {
    for (boolean reverse : new boolean[] {false, true}) {
      Matrix c = product(a, b, reverse);
      Verification full = FullCheck.verify(a, b, c);
      assertTrue(full.passed(), "full: " + full);
      assertTrue(full.maxAbsError() < 1e-4, "full error " + full.maxAbsError());
      Verification freivalds = Freivalds.prepare(b, 3, new SplittableRandom(1)).checkAll(a, c);
      assertTrue(freivalds.passed(), "freivalds: " + freivalds);
    }
  }

  @Test
  @DisplayName("full recomputation catches one value off by a little more than float32 noise, and names its row")
  void oneSlightlyWrongValueIsCaughtByFullCheck() {
    Matrix c = product(a, b, false);
    c.data()[37 * N + 5] += 0.01f;
    Verification full = FullCheck.verify(a, b, c);
    assertFalse(full.passed());
    assertEquals(List.of(37), full.badRows());
    assertEquals(0.01, full.maxAbsError(), 1e-3);
  }

  @Test
  @DisplayName("Freivalds catches one wrong value in a whole product, and names its row")
  void oneWrongValueIsCaughtByFreivalds() {
    Matrix c = product(a, b, false);
    c.data()[37 * N + 5] += 1f;
    Verification freivalds = Freivalds.prepare(b, 3, new SplittableRandom(2)).checkAll(a, c);
    assertFalse(freivalds.passed());
    assertEquals(List.of(37), freivalds.badRows());
  }

  @Test
  @DisplayName("Freivalds catches a slice of zeros, swapped rows and a product of the wrong inputs")
  void wrongSlicesAreCaught() {
    Freivalds check = Freivalds.prepare(b, 2, new SplittableRandom(3));
    Matrix c = product(a, b, false);
    int rowStart = 16;
    int rows = 16;
    float[] right = new float[rows * N];
    System.arraycopy(c.data(), rowStart * N, right, 0, right.length);
    assertTrue(check.checkSlice(a, rowStart, rows, right).passed());

    assertFalse(check.checkSlice(a, rowStart, rows, new float[rows * N]).passed(), "zeros");

    float[] swapped = right.clone();
    System.arraycopy(right, 0, swapped, N, N);
    System.arraycopy(right, N, swapped, 0, N);
    assertEquals(List.of(16, 17), check.checkSlice(a, rowStart, rows, swapped).badRows(), "two rows swapped");

    float[] shifted = new float[rows * N];
    System.arraycopy(c.data(), (rowStart + 1) * N, shifted, 0, shifted.length);
    assertFalse(check.checkSlice(a, rowStart, rows, shifted).passed(), "the slice of other rows");
  }

  @Test
  @DisplayName("the secret vectors matter: a cheat that only fools one fixed vector fails")
  void checkUsesUnpredictableVectors() {
    Matrix c = product(a, b, false);
    // Adding +1 and -1 to two entries of a row leaves r·c unchanged for any r with equal signs there,
    // so some vectors miss it; three independent vectors catch it with probability 7/8 each time.
    int caught = 0;
    for (int seed = 0; seed < 40; seed++) {
      float[] cheat = c.data().clone();
      cheat[3 * N] += 1f;
      cheat[3 * N + 1] -= 1f;
      if (!Freivalds.prepare(b, 3, new SplittableRandom(seed)).checkAll(a, new Matrix(M, N, cheat)).passed()) {
        caught++;
      }
    }
    assertTrue(caught >= 30, "caught " + caught + " of 40");
  }

  @Test
  void shapesMustChain() {
    assertThrows(IllegalArgumentException.class, () -> FullCheck.verify(a, b, Matrix.zeros(M, N + 1)));
    assertThrows(IllegalArgumentException.class,
        () -> Freivalds.prepare(b, 1, new SplittableRandom(1)).checkAll(a, Matrix.zeros(M + 1, N)));
  }
}

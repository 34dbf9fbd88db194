package brain.model;

import static org.junit.jupiter.api.Assertions.*;

import brain.blas.OpenBlas;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The check's expected values: the cache-blocked Java loop gives exactly the row-at-a-time sums
 * (same order), and OpenBLAS's dgemm gives them within double rounding, on shapes that are not
 * multiples of the blocks, a row offset into A and P read with a stride wider than its width.
 */
class ProjectionProductTest {
  @ParameterizedTest
  @CsvSource({"1, 1, 1, 1, 0", "7, 300, 261, 300, 3", "130, 129, 513, 520, 5", "4, 2048, 64, 128, 0", "129, 5, 1, 9, 1"})
  void blockedJavaSumsAreTheRowLoops(int count, int k, int width, int stride, int first) {
    Inputs in = new Inputs(first + count, k, stride, 11);
    double[] out = new double[count * width];
    new ProjectionProduct(in.p, k, stride, false).multiply(in.a, first, count, width, out);
    assertArrayEquals(in.reference(first, count, width), out); // bit for bit
  }

  @ParameterizedTest
  @CsvSource({"1, 1, 1, 1, 0", "7, 300, 261, 300, 3", "130, 129, 513, 520, 5", "64, 2048, 1024, 2048, 0"})
  void openBlasAgreesWithinDoubleRounding(int count, int k, int width, int stride, int first) {
    Assumptions.assumeTrue(OpenBlas.availability().loaded(), "OpenBLAS did not load here");
    Inputs in = new Inputs(first + count, k, stride, 12);
    ProjectionProduct product = new ProjectionProduct(in.p, k, stride, true);
    assertTrue(product.isNative());
    double[] out = new double[count * width];
    product.multiply(in.a, first, count, width, out);
    double[] expected = in.reference(first, count, width);
    for (int i = 0; i < out.length; i++) {
      double scale = in.absSum(first + i / width, i % width);
      assertEquals(expected[i], out[i], scale * k * 0x1p-50, "value " + i);
    }
  }

  /** A (float, rows × k) and P (double, k × stride) with values of mixed sign and size. */
  private static final class Inputs {
    final float[] a;
    final double[] p;
    final int k;
    final int stride;

    Inputs(int rows, int k, int stride, long seed) {
      SplittableRandom random = new SplittableRandom(seed);
      this.k = k;
      this.stride = stride;
      a = new float[rows * k];
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) (random.nextDouble(-1, 1) * Math.pow(10, random.nextInt(-3, 4)));
      }
      p = new double[k * stride];
      for (int i = 0; i < p.length; i++) {
        p[i] = random.nextDouble(-50, 50);
      }
    }

    /** The unblocked loop: for each row, the sum over q in order. */
    double[] reference(int first, int count, int width) {
      double[] out = new double[count * width];
      for (int i = 0; i < count; i++) {
        for (int q = 0; q < k; q++) {
          double x = a[(first + i) * k + q];
          for (int t = 0; t < width; t++) {
            out[i * width + t] += x * p[q * stride + t];
          }
        }
      }
      return out;
    }

    double absSum(int row, int t) {
      double s = 0;
      for (int q = 0; q < k; q++) {
        s += Math.abs(a[row * k + q] * p[q * stride + t]);
      }
      return s;
    }
  }
}

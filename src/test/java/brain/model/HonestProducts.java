package brain.model;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Honest float32 products in the summation orders real engines use, inputs with awkward value
 * ranges, and the roundings a cheat might apply to a result. Test support.
 */
final class HonestProducts {
  private HonestProducts() {}

  /** A float32 dot product of x and y (length k) in one particular order. */
  enum Order {
    /** p = 0 .. k-1, one float32 accumulator: the JS CPU engine, a naive WGSL loop. */
    RECURSIVE,
    REVERSE,
    /** Recursive halving: what a reduction tree does. */
    PAIRWISE,
    /** s = fma(x, y, s) in float32: WGSL on GPUs that fuse. */
    FMA,
    /** Exact products summed in double, rounded once: the JS engine accumulating in double. */
    DOUBLE,
    /** Exact double product added to a float32 sum in double, then rounded each step (Math.fround style). */
    FROUND,
    /** Eight float32 lanes combined by a tree: a vectorized or blocked sgemm kernel. */
    BLOCKED8,
    /** Compensated summation in float32. */
    KAHAN,
    /** A random summation tree for every value: any order at all. */
    RANDOM_TREE,
    /** Largest products first: the order with the worst typical error. */
    LARGEST_FIRST,
    /** Recursive, but subnormal inputs, products, sums and output flushed to zero (GPU FTZ/DAZ). */
    FLUSH_TO_ZERO;

    float dot(float[] x, float[] y, SplittableRandom random) {
      int k = x.length;
      switch (this) {
        case RECURSIVE: {
          float s = 0;
          for (int p = 0; p < k; p++) {
            s += x[p] * y[p];
          }
          return s;
        }
        case REVERSE: {
          float s = 0;
          for (int p = k - 1; p >= 0; p--) {
            s += x[p] * y[p];
          }
          return s;
        }
        case PAIRWISE:
          return tree(x, y, 0, k, null);
        case RANDOM_TREE:
          return tree(x, y, 0, k, random);
        case FMA: {
          float s = 0;
          for (int p = 0; p < k; p++) {
            s = Math.fma(x[p], y[p], s);
          }
          return s;
        }
        case DOUBLE: {
          double s = 0;
          for (int p = 0; p < k; p++) {
            s += (double) x[p] * y[p];
          }
          return (float) s;
        }
        case FROUND: {
          float s = 0;
          for (int p = 0; p < k; p++) {
            s = (float) (s + (double) x[p] * y[p]);
          }
          return s;
        }
        case BLOCKED8: {
          float[] lane = new float[8];
          for (int p = 0; p < k; p++) {
            lane[p & 7] += x[p] * y[p];
          }
          return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
        }
        case KAHAN: {
          float s = 0;
          float c = 0;
          for (int p = 0; p < k; p++) {
            float term = x[p] * y[p] - c;
            float t = s + term;
            c = (t - s) - term;
            s = t;
          }
          return s;
        }
        case LARGEST_FIRST: {
          float[] products = new float[k];
          for (int p = 0; p < k; p++) {
            products[p] = x[p] * y[p];
          }
          Integer[] index = new Integer[k];
          Arrays.setAll(index, p -> p);
          Arrays.sort(index, (u, v) -> Float.compare(Math.abs(products[v]), Math.abs(products[u])));
          float s = 0;
          for (int p : index) {
            s += products[p];
          }
          return s;
        }
        case FLUSH_TO_ZERO: {
          float s = 0;
          for (int p = 0; p < k; p++) {
            s = flush(s + flush(flush(x[p]) * flush(y[p])));
          }
          return flush(s);
        }
        default:
          throw new AssertionError(this);
      }
    }

    private static float tree(float[] x, float[] y, int from, int to, SplittableRandom random) {
      if (to - from == 1) {
        return x[from] * y[from];
      }
      if (to == from) {
        return 0;
      }
      int mid = random == null ? (from + to) >>> 1 : from + 1 + random.nextInt(to - from - 1);
      return tree(x, y, from, mid, random) + tree(x, y, mid, to, random);
    }

    private static float flush(float v) {
      return Math.abs(v) < Float.MIN_NORMAL ? 0f * v : v;
    }

    /** C = A·B with every value computed in this order. */
    Matrix multiply(Matrix a, Matrix b, long seed) {
      int m = a.rows();
      int k = a.cols();
      int n = b.cols();
      SplittableRandom random = new SplittableRandom(seed);
      float[] c = new float[m * n];
      float[] column = new float[k];
      float[] row = new float[k];
      for (int j = 0; j < n; j++) {
        for (int p = 0; p < k; p++) {
          column[p] = b.get(p, j);
        }
        for (int i = 0; i < m; i++) {
          System.arraycopy(a.data(), i * k, row, 0, k);
          c[i * n + j] = dot(row, column, random);
        }
      }
      return new Matrix(m, n, c);
    }
  }

  /** Kinds of input values. */
  enum Values {
    UNIFORM, POSITIVE, WIDE_RANGE, TINY, SUBNORMAL, ALL_SUBNORMAL, LARGE, SPARSE, CONSTANT;

    Matrix matrix(int rows, int cols, SplittableRandom random) {
      float[] data = new float[rows * cols];
      DoubleSupplier uniform = () -> random.nextDouble() * 2 - 1;
      for (int t = 0; t < data.length; t++) {
        data[t] = (float) switch (this) {
          case UNIFORM -> uniform.getAsDouble();
          case POSITIVE -> random.nextDouble();
          case WIDE_RANGE -> uniform.getAsDouble() * Math.scalb(1.0, random.nextInt(-20, 21));
          case TINY -> uniform.getAsDouble() * Math.scalb(1.0, random.nextInt(-75, -55)); // products near MIN_NORMAL
          case SUBNORMAL -> random.nextInt(4) == 0 ? uniform.getAsDouble() * 0x1p-127 : uniform.getAsDouble();
          case ALL_SUBNORMAL -> uniform.getAsDouble() * 0x1p-127; // read as zero by a GPU that flushes
          case LARGE -> uniform.getAsDouble() * 1e15;
          case SPARSE -> random.nextInt(10) < 4 ? 0.0 : uniform.getAsDouble();
          case CONSTANT -> 0.1f;
        };
      }
      return new Matrix(rows, cols, data);
    }
  }

  /** Round to nearest even keeping the top 16 bits: bfloat16. */
  static float toBfloat16(float v) {
    int bits = Float.floatToRawIntBits(v);
    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(rounded & 0xFFFF0000);
  }

  /** Round to the nearest IEEE half (11 significant bits, range ±65504, subnormals below 2^-14). */
  static float toFloat16(float v) {
    if (Float.isNaN(v) || Float.isInfinite(v)) {
      return v;
    }
    double a = Math.abs(v);
    // Spacing of halves near a: 2^(e-10) for a normal half, 2^-24 for a subnormal one.
    int e = Math.max(Math.getExponent(a == 0 ? 1.0 : a), -14);
    double ulp = Math.scalb(1.0, e - 10);
    double r = Math.rint(a / ulp) * ulp; // rint: ties to even
    if (r > 65504) {
      r = Double.POSITIVE_INFINITY;
    }
    return (float) Math.copySign(r, v);
  }
}

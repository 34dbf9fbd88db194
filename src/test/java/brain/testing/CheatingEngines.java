package brain.testing;

import brain.worker.Engines;
import brain.worker.MatrixEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Engines that cheat: each computes the slice honestly in float32 (so it knows what the right
 * answer looks like, as a real cheater would) and then returns something else. None is
 * {@link MatrixEngine#instant()}: they run on worker threads and receive A.
 */
public final class CheatingEngines {
  private CheatingEngines() {}

  /** The ways to cheat; {@link #engine()} makes a fresh engine (some keep state). */
  public enum Cheat {
    /** Every value rounded to bfloat16 (8 bits of mantissa): a cheaper number format. */
    BFLOAT16 {
      @Override
      float[] corrupt(float[] c, int rows, int colsB) {
        for (int i = 0; i < c.length; i++) {
          c[i] = toBfloat16(c[i]);
        }
        return c;
      }
    },
    /** Every value rounded to IEEE float16 (11 bits of mantissa). */
    FLOAT16 {
      @Override
      float[] corrupt(float[] c, int rows, int colsB) {
        for (int i = 0; i < c.length; i++) {
          c[i] = toFloat16(c[i]);
        }
        return c;
      }
    },
    /** The whole slice × 1.001. */
    SCALED_1_001 {
      @Override
      float[] corrupt(float[] c, int rows, int colsB) {
        for (int i = 0; i < c.length; i++) {
          c[i] *= 1.001f;
        }
        return c;
      }
    },
    /** One element (in the middle of the slice) off by 1e-3 × the largest |value| of its row. */
    ONE_ELEMENT_OFF {
      @Override
      float[] corrupt(float[] c, int rows, int colsB) {
        int row = rows / 2;
        int col = colsB / 2;
        float max = 0;
        for (int j = 0; j < colsB; j++) {
          max = Math.max(max, Math.abs(c[row * colsB + j]));
        }
        c[row * colsB + col] += 1e-3f * max;
        return c;
      }
    },
    /** All zeros: the cheapest possible answer. */
    ZEROS {
      @Override
      float[] corrupt(float[] c, int rows, int colsB) {
        return new float[c.length];
      }
    },
    /** Random values of the same magnitude as the real ones. */
    RANDOM {
      @Override
      float[] corrupt(float[] c, int rows, int colsB) {
        float max = 0;
        for (float v : c) {
          max = Math.max(max, Math.abs(v));
        }
        SplittableRandom random = new SplittableRandom(Arrays.hashCode(c));
        for (int i = 0; i < c.length; i++) {
          c[i] = (float) ((random.nextDouble() * 2 - 1) * max);
        }
        return c;
      }
    },
    /**
     * A replayed slice: for chunk i, the honest values of an earlier chunk this engine computed
     * (another A slice of the same size). For its very first chunk, having nothing to replay, it
     * returns its own honest rows in the wrong order (each row's values are an honest product of
     * another row of A).
     */
    REPLAYED_SLICE {
      @Override
      public MatrixEngine engine() {
        return new Replaying();
      }

      @Override
      float[] corrupt(float[] c, int rows, int colsB) {
        throw new UnsupportedOperationException("stateful: see Replaying");
      }
    },
    /** One value NaN. */
    NAN {
      @Override
      float[] corrupt(float[] c, int rows, int colsB) {
        c[c.length / 2] = Float.NaN;
        return c;
      }
    },
    /** One value +Infinity. */
    INFINITY {
      @Override
      float[] corrupt(float[] c, int rows, int colsB) {
        c[c.length / 3] = Float.POSITIVE_INFINITY;
        return c;
      }
    },
    /** One value short (the last one dropped). */
    WRONG_LENGTH {
      @Override
      float[] corrupt(float[] c, int rows, int colsB) {
        return Arrays.copyOf(c, c.length - 1);
      }
    };

    /** Turns the honest slice {@code c} (rows × colsB, may be changed in place) into the cheat's answer. */
    abstract float[] corrupt(float[] c, int rows, int colsB);

    public MatrixEngine engine() {
      Cheat cheat = this;
      return new CheatingEngine("cheating: " + name()) {
        @Override
        protected float[] cheat(float[] a, int rows, int colsA, float[] honest, int colsB) {
          return cheat.corrupt(honest, rows, colsB);
        }
      };
    }
  }

  /** Computes honestly in float32, then hands the honest slice to {@link #cheat}. */
  public abstract static class CheatingEngine implements MatrixEngine {
    private final MatrixEngine honest = Engines.cpu(1);
    private final String description;

    protected CheatingEngine(String description) {
      this.description = description;
    }

    @Override
    public String description() {
      return description;
    }

    @Override
    public final float[] multiply(float[] a, int rows, int colsA, float[] b, int colsB) {
      return cheat(a, rows, colsA, honest.multiply(a, rows, colsA, b, colsB), colsB);
    }

    protected abstract float[] cheat(float[] a, int rows, int colsA, float[] honest, int colsB);
  }

  /** See {@link Cheat#REPLAYED_SLICE}. */
  static final class Replaying extends CheatingEngine {
    private record Computed(float[] a, float[] c) {}

    private final List<Computed> computed = new ArrayList<>();

    Replaying() {
      super("cheating: " + Cheat.REPLAYED_SLICE.name());
    }

    @Override
    protected synchronized float[] cheat(float[] a, int rows, int colsA, float[] honest, int colsB) {
      float[] answer = null;
      for (int i = computed.size() - 1; i >= 0 && answer == null; i--) {
        Computed earlier = computed.get(i);
        if (earlier.c().length == honest.length && !Arrays.equals(earlier.a(), a)) {
          answer = earlier.c().clone();
        }
      }
      computed.add(new Computed(a.clone(), honest.clone()));
      if (answer == null) {
        answer = new float[honest.length];
        for (int r = 0; r < rows; r++) {
          System.arraycopy(honest, ((r + 1) % rows) * colsB, answer, r * colsB, colsB);
        }
        if (rows == 1) {
          answer = Cheat.SCALED_1_001.corrupt(answer, rows, colsB); // nothing to rotate: still wrong
        }
      }
      return answer;
    }
  }

  /** Round to nearest even bfloat16 (the upper 16 bits of a float32). */
  public static float toBfloat16(float v) {
    if (!Float.isFinite(v)) {
      return v;
    }
    int bits = Float.floatToRawIntBits(v);
    bits += 0x7FFF + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(bits & 0xFFFF0000);
  }

  /**
   * Round to nearest even IEEE binary16 (10 stored mantissa bits, largest finite 65504; values
   * below its normal range keep their float32 exponent, which only flatters the cheat).
   */
  public static float toFloat16(float v) {
    if (!Float.isFinite(v)) {
      return v;
    }
    if (Math.abs(v) > 65504f) {
      return Math.copySign(65504f, v);
    }
    int bits = Float.floatToRawIntBits(v);
    bits += 0xFFF + ((bits >>> 13) & 1);
    return Float.intBitsToFloat(bits & ~0x1FFF);
  }
}

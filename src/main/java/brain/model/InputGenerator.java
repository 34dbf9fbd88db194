package brain.model;

/**
 * Deterministic job inputs from a seed, so a job can be replayed exactly and anyone can
 * regenerate its inputs.
 *
 * <p>Value {@code i} (row-major) of A is SplitMix64 output number {@code i + 1} for the seed;
 * B uses outputs from {@code 2^40 + 1} on. The top 24 bits of each output, scaled to
 * [-1, 1), are exactly representable in float32. Being counter-based, any slice can be
 * generated on its own and in parallel.
 */
public final class InputGenerator {
  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
  private static final long B_STREAM_OFFSET = 1L << 40;

  private InputGenerator() {}

  public static Matrix a(long seed, int rows, int cols) {
    return generate(seed, 0, rows, cols);
  }

  public static Matrix b(long seed, int rows, int cols) {
    return generate(seed, B_STREAM_OFFSET, rows, cols);
  }

  private static Matrix generate(long seed, long streamOffset, int rows, int cols) {
    float[] data = new float[Math.multiplyExact(rows, cols)];
    for (int i = 0; i < data.length; i++) {
      data[i] = value(seed, streamOffset + i + 1);
    }
    return new Matrix(rows, cols, data);
  }

  static float value(long seed, long counter) {
    long bits24 = mix64(seed + GOLDEN_GAMMA * counter) >>> 40;
    return bits24 * 0x1.0p-23f - 1.0f;
  }

  /** SplitMix64's output function (Steele, Lea, Flood 2014). */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}

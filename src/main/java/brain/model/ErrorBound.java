package brain.model;

/**
 * How far an honest float32 product may be from the exact one, and the server's own margins.
 * Shared by {@link Freivalds} and {@link FullCheck} so both refuse exactly what no honest
 * engine can produce.
 *
 * <p>Model. A worker computes c_ij = fl(Σ_p a_ip·b_pj) over k terms in float32, in an order we
 * do not know (recursive, reversed, pairwise, blocked or vectorized partial sums, with or
 * without FMA, or in a wider accumulator rounded once). In every such order each product
 * a_ip·b_pj goes through at most k roundings (one for the product, at most k-1 additions on
 * its path through the summation tree; an FMA merges two), so (Higham, Accuracy and Stability
 * of Numerical Algorithms, §3.1)
 *
 * <pre>  |c_ij − a_i·b_j| ≤ γ_k · M_ij,   M_ij = Σ_p |a_ip|·|b_pj|,   γ_k = k·u / (1 − k·u),  u = 2^-24</pre>
 *
 * as long as nothing underflows. No factor 2: the bound already holds for the worst order;
 * a wider accumulator only makes the error smaller (u for the final rounding plus
 * γ_k of the wider format, below γ_k of float32 for every k ≥ 1); so does an exact double
 * product added to a float32 sum in double and rounded (at most u + 2^-53 per addition, and
 * the product itself is not rounded), and so does compensated (Kahan) summation (≈ 3u·M).
 *
 * <p>Underflow. GPUs may flush subnormal results and treat subnormal inputs as zero. Each of
 * the k products, k-1 partial sums and the output may lose less than MIN_NORMAL (2^-126),
 * amplified by at most 1+γ_k < 2 afterwards: under 4·(k+1)·MIN_NORMAL. An input b_pj taken as
 * zero loses |a_ip||b_pj| < MIN_NORMAL·|a_ip|, in all at most MIN_NORMAL·‖a_i‖₁; an input
 * a_ip taken as zero loses |a_ip||b_pj|, which the checks cover by counting such an |a_ip| as
 * |a_ip|·(1 + 1/factor) in M (see {@link #weight}). For ordinary data both terms are ~1e-35.
 *
 * <p>Server. The checks evaluate in double; {@link #factor} adds a margin of order (k+g)·2^-52
 * (about 2^-28 of γ_k) that covers the server's own roundings, see its comment.
 */
final class ErrorBound {
  /** Unit roundoff of float32, round to nearest. */
  static final double U = 0x1.0p-24;

  private ErrorBound() {}

  /** γ_k = k·u/(1 − k·u) for a float32 dot product of length k (requires k·u < 1/2). */
  static double gamma(int k) {
    double ku = Math.max(1, k) * U;
    if (ku >= 0.5) {
      throw new IllegalArgumentException("dot products of length " + k + " are beyond float32's error model");
    }
    return ku / (1 - ku);
  }

  /**
   * γ_k plus the server's rounding margin, for projections over groups of at most {@code g}
   * columns (g = 1 for a per-value check). The server computes the expected projection
   * Σ_p a_ip·(Σ_j r_j b_pj) with at most k+g roundings (error ≤ (k+g)·2^-53·S, S = Σ_j M_ij),
   * the actual Σ_j r_j c_ij with g-1 (error ≤ g·2^-53·Σ|c_ij| ≤ 2g·2^-53·S for an honest c),
   * and S itself and the comparison with relative errors below (k+g+2)·2^-53 each, scaled by
   * γ_k < 1. (3k+5g+6)·2^-53 covers it all; (2k+4g+16)·2^-52 is comfortably more.
   */
  static double factor(int k, int g) {
    return gamma(k) + (2.0 * k + 4.0 * g + 16) * 0x1.0p-52;
  }

  /**
   * Absolute slack per value of row i, given Σ_p weight(a_ip) (≥ ‖a_i‖₁): flushing of
   * subnormal results (4·(k+1)·MIN_NORMAL) and of subnormal inputs of B
   * (MIN_NORMAL·‖a_i‖₁). The factor 1+2^-20 absorbs the rounding of this sum itself.
   */
  static double slack(int k, double rowAbsSum) {
    return Float.MIN_NORMAL * (4.0 * (k + 1) + rowAbsSum) * (1 + 0x1.0p-20);
  }

  /**
   * |x| as counted in M: a subnormal input of A that a GPU reads as zero loses its whole
   * product, so it counts (1 + 1/factor) times, which makes factor·weight ≥ (factor + 1)·|x|.
   */
  static double weight(float x, double factor) {
    double abs = Math.abs(x);
    return abs < Float.MIN_NORMAL ? abs * (1 + 1 / factor) : abs;
  }
}

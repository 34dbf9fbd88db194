package brain.model;

/** Amounts of work, as the leaderboard and the metrics show them. */
public final class Work {
  private Work() {}

  /** Floating-point operations of {@code multiplyAdds} multiply-adds (two each), in GFLOP, to 3 decimals. */
  public static double gflop(long multiplyAdds) {
    return Math.round(2.0 * multiplyAdds / 1e6) / 1e3;
  }
}

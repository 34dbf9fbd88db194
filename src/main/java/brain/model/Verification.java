package brain.model;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The outcome of checking a product. {@code badRows} lists rows of C that failed (at most
 * {@link #MAX_BAD_ROWS}), so the chunks holding them can be computed again.
 */
public record Verification(String method, boolean passed, double maxAbsError, int vectors, List<Integer> badRows) {
  public static final int MAX_BAD_ROWS = 1000;
  public static final String FULL = "full";
  public static final String FREIVALDS = "freivalds";
  public static final String NONE = "none";

  public static Verification skipped() {
    return new Verification(NONE, true, 0, 0, List.of());
  }

  public JsonObject toJson() {
    return new JsonObject().put("method", method).put("passed", passed).put("maxAbsError", maxAbsError);
  }

  /**
   * Tolerance factor for a float32 dot product of length {@code k}: the classic bound
   * |fl(a·b) - a·b| <= gamma_k * sum|a_i||b_i| with gamma_k = k*u/(1-k*u), u = 2^-24, holds
   * for any summation order; we allow twice that.
   */
  static double gamma(int k) {
    double ku = k * 0x1.0p-24;
    return 2 * ku / (1 - ku);
  }

  /** Absolute slack for values near float32's smallest normal (GPUs may flush them). */
  static double absoluteSlack(int k) {
    return 4.0 * Float.MIN_NORMAL * (k + 1);
  }
}

package brain.model;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The outcome of checking a product. {@code badRows} lists rows of C that failed (at most
 * {@link #MAX_BAD_ROWS}), so the chunks holding them can be computed again.
 * {@code maxErrorRatio} is the largest deviation seen divided by its tolerance (see
 * {@link ErrorBound}): above 1 means refused; honest float32 work is typically far below 1.
 * For {@link Freivalds} it is an upper bound where a cheap lower bound of the tolerance
 * sufficed to pass.
 */
public record Verification(String method, boolean passed, double maxAbsError, int vectors, List<Integer> badRows,
    double maxErrorRatio) {
  public static final int MAX_BAD_ROWS = 1000;
  public static final String FULL = "full";
  public static final String FREIVALDS = "freivalds";
  /** Chosen rows of a slice recomputed in full ({@link FullCheck#verifyRows}). */
  public static final String ROWS = "rows";
  public static final String NONE = "none";

  /** Without the ratio, as before it existed. */
  public Verification(String method, boolean passed, double maxAbsError, int vectors, List<Integer> badRows) {
    this(method, passed, maxAbsError, vectors, badRows, 0);
  }

  public static Verification skipped() {
    return new Verification(NONE, true, 0, 0, List.of());
  }

  public JsonObject toJson() {
    return new JsonObject().put("method", method).put("passed", passed).put("maxAbsError", maxAbsError)
        .put("maxErrorRatio", maxErrorRatio);
  }
}

package brain.model;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * What a requestor asked for: C = A·B with A rowsA×colsA and B colsA×colsB generated from
 * {@code seed}, or the uploaded matrices {@code a} and {@code b} (their ids; null for a
 * generated job, the dimensions then being theirs), how to verify the product, and optionally
 * the chunk height.
 */
public record JobSpec(int rowsA, int colsA, int colsB, long seed, String verify, Integer chunkRows, String a,
    String b) {
  public static final String VERIFY_AUTO = "auto";
  public static final List<String> VERIFY_MODES =
      List.of(VERIFY_AUTO, Verification.FULL, Verification.FREIVALDS, Verification.NONE);
  /** Seeds are JSON-safe integers, so a browser can show and resend them exactly. */
  public static final long MAX_SEED = (1L << 53) - 1;

  private static final Set<String> FIELDS = Set.of("rowsA", "colsA", "colsB", "seed", "verify", "chunkRows");
  private static final Set<String> MATRIX_FIELDS = Set.of("a", "b", "verify", "chunkRows");
  private static final java.util.regex.Pattern MATRIX_ID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,128}");

  /** A generated job. */
  public JobSpec(int rowsA, int colsA, int colsB, long seed, String verify, Integer chunkRows) {
    this(rowsA, colsA, colsB, seed, verify, chunkRows, null, null);
  }

  /** Whether A and B are uploaded matrices (their ids) rather than generated from the seed. */
  public boolean fromMatrices() {
    return a != null && b != null;
  }

  /** Whether a submission names uploaded matrices ({@code {"a","b",...}}) instead of dimensions. */
  public static boolean namesMatrices(JsonObject body) {
    return body != null && (body.containsKey("a") || body.containsKey("b"));
  }

  /**
   * The ids {a, b} of a submission of the matrix form, checked for form only (whether they
   * exist, and their shapes, is the caller's to look up).
   *
   * @throws ApiError 400 with a sentence saying what is wrong
   */
  public static String[] matrixIds(JsonObject body) {
    for (String field : body.fieldNames()) {
      if (!MATRIX_FIELDS.contains(field)) {
        throw ApiError.badRequest("unknown field '" + field + "' in a job of uploaded matrices; it takes a and b "
            + "(matrix ids from POST /api/matrices), and optionally verify, chunkRows");
      }
    }
    return new String[] {matrixId(body, "a"), matrixId(body, "b")};
  }

  private static String matrixId(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      throw ApiError.badRequest(field + " is required: the id of an uploaded matrix (POST /api/matrices)");
    }
    if (!(value instanceof String id) || !MATRIX_ID.matcher(id).matches()) {
      throw ApiError.badRequest(field + " must be a matrix id (as POST /api/matrices answers), got " + describe(value));
    }
    return id;
  }

  /**
   * Validates a submission of the matrix form once the matrices' shapes are known: A is
   * rowsA×colsA, B colsA×colsB (the caller checked that they agree). The seed is drawn and
   * recorded but unused.
   */
  public static JobSpec parseWithMatrices(JsonObject body, String a, int rowsA, int colsA, String b, int colsB,
      Limits limits, RandomGenerator random) {
    JsonObject generated = new JsonObject().put("rowsA", rowsA).put("colsA", colsA).put("colsB", colsB);
    if (body.containsKey("verify")) {
      generated.put("verify", body.getValue("verify"));
    }
    if (body.containsKey("chunkRows")) {
      generated.put("chunkRows", body.getValue("chunkRows"));
    }
    JobSpec spec = parse(generated, limits, random);
    return new JobSpec(spec.rowsA, spec.colsA, spec.colsB, spec.seed, spec.verify, spec.chunkRows, a, b);
  }

  /** The bounds a submission is checked against (from configuration). */
  public record Limits(int maxDimension, long maxElements, long maxChunkBytes, long fullMaxOps) {}

  /** Multiply-adds of the whole product. */
  public long multiplyAdds() {
    return (long) rowsA * colsA * colsB;
  }

  /** The verification actually run: {@code auto} becomes full or Freivalds by size. */
  public String verificationMethod(long fullMaxOps) {
    if (!VERIFY_AUTO.equals(verify)) {
      return verify;
    }
    return multiplyAdds() <= fullMaxOps ? Verification.FULL : Verification.FREIVALDS;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("rowsA", rowsA)
        .put("colsA", colsA)
        .put("colsB", colsB)
        .put("seed", seed)
        .put("verify", verify);
    if (chunkRows != null) {
      json.put("chunkRows", chunkRows);
    }
    if (a != null) {
      json.put("a", a).put("b", b);
    }
    return json;
  }

  /** Reads a stored spec (already validated once). */
  public static JobSpec fromStored(JsonObject json) {
    return new JobSpec(json.getInteger("rowsA"), json.getInteger("colsA"), json.getInteger("colsB"),
        json.getLong("seed"), json.getString("verify"), json.getInteger("chunkRows"), json.getString("a"),
        json.getString("b"));
  }

  /**
   * Validates a submission. A missing seed is drawn from {@code random} (and recorded with
   * the job, so the job can be replayed exactly).
   *
   * @throws ApiError 400 with a sentence saying what is wrong
   */
  public static JobSpec parse(JsonObject body, Limits limits, RandomGenerator random) {
    if (body == null) {
      throw ApiError.badRequest("send a JSON object such as {\"rowsA\":500,\"colsA\":300,\"colsB\":400}");
    }
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw ApiError.badRequest("unknown field '" + field + "'; a job takes rowsA, colsA, colsB, and optionally seed, verify, chunkRows");
      }
    }
    int rowsA = dimension(body, "rowsA", limits);
    int colsA = dimension(body, "colsA", limits);
    int colsB = dimension(body, "colsB", limits);
    checkElements("A", (long) rowsA * colsA, limits);
    checkElements("B", (long) colsA * colsB, limits);
    checkElements("C", (long) rowsA * colsB, limits);

    long seed;
    if (body.getValue("seed") == null) {
      seed = random.nextLong(MAX_SEED + 1);
    } else {
      seed = wholeNumber(body, "seed", 0, MAX_SEED);
    }

    String verify = verifyMode(body.getValue("verify"));
    long ops = (long) rowsA * colsA * colsB;
    if (Verification.FULL.equals(verify) && ops > limits.fullMaxOps()) {
      throw ApiError.badRequest("full verification recomputes the product on the server and is limited to "
          + limits.fullMaxOps() + " multiply-adds; this job has " + ops + ". Use \"freivalds\" or \"auto\"");
    }

    Integer chunkRows = null;
    if (body.getValue("chunkRows") != null) {
      int maxRows = ChunkPlan.maxRowsWithin(colsA, colsB, limits.maxChunkBytes());
      int upper = Math.max(1, Math.min(rowsA, maxRows));
      chunkRows = (int) wholeNumber(body, "chunkRows", 1, Long.MAX_VALUE);
      if (chunkRows > rowsA) {
        throw ApiError.badRequest("chunkRows is " + chunkRows + " but A has only " + rowsA + " rows");
      }
      if (chunkRows > upper) {
        throw ApiError.badRequest("chunkRows " + chunkRows + " makes chunks larger than the " + limits.maxChunkBytes()
            + "-byte message budget; with these columns use at most " + upper + " rows");
      }
    }
    return new JobSpec(rowsA, colsA, colsB, seed, verify, chunkRows);
  }

  private static int dimension(JsonObject body, String field, Limits limits) {
    if (body.getValue(field) == null) {
      throw ApiError.badRequest(field + " is required (a whole number from 1 to " + limits.maxDimension() + ")");
    }
    return (int) wholeNumber(body, field, 1, limits.maxDimension());
  }

  private static void checkElements(String name, long elements, Limits limits) {
    if (elements > limits.maxElements()) {
      throw ApiError.badRequest(name + " would hold " + elements + " values; the limit per matrix is "
          + limits.maxElements());
    }
  }

  private static long wholeNumber(JsonObject body, String field, long min, long max) {
    Object value = body.getValue(field);
    if (!(value instanceof Number number)) {
      throw ApiError.badRequest(field + " must be a whole number, got " + describe(value));
    }
    double asDouble = number.doubleValue();
    if (!Double.isFinite(asDouble) || asDouble != Math.rint(asDouble)) {
      throw ApiError.badRequest(field + " must be a whole number, got " + value);
    }
    boolean exact = value instanceof Integer || value instanceof Long;
    if (!exact && (asDouble < min || asDouble > max)) {
      throw ApiError.badRequest(field + " must be between " + min + " and " + max + ", got " + value);
    }
    long whole = exact ? number.longValue() : (long) asDouble;
    if (whole < min || whole > max) {
      throw ApiError.badRequest(field + " must be between " + min + " and " + max + ", got " + whole);
    }
    return whole;
  }

  private static String verifyMode(Object value) {
    if (value == null || Boolean.TRUE.equals(value)) {
      return VERIFY_AUTO;
    }
    if (Boolean.FALSE.equals(value)) {
      return Verification.NONE;
    }
    if (value instanceof String text) {
      String mode = text.trim().toLowerCase(Locale.ROOT);
      if (VERIFY_MODES.contains(mode)) {
        return mode;
      }
    }
    throw ApiError.badRequest("verify must be one of " + String.join(", ", VERIFY_MODES) + " (or true/false), got "
        + describe(value));
  }

  private static String describe(Object value) {
    if (value instanceof String s) {
      return "the text \"" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "\"";
    }
    return String.valueOf(value);
  }
}

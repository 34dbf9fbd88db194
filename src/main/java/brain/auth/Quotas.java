package brain.auth;

import brain.model.ApiError;
import io.vertx.core.json.JsonObject;

/**
 * What one requestor token may hold at once: the defaults of {@code auth.quotas}, each
 * overridable by the token's own row. Admin tokens have none. A refusal is a 429 whose message
 * names the quota and its value, so a person knows which limit was hit and what to ask for.
 */
public record Quotas(long maxActiveJobs, long maxElementsPerJob, long maxStoredBytes) {
  public static final String ACTIVE_JOBS = "maxActiveJobs";
  public static final String ELEMENTS_PER_JOB = "maxElementsPerJob";
  public static final String STORED_BYTES = "maxStoredBytes";
  private static final java.util.List<String> NAMES = java.util.List.of(ACTIVE_JOBS, ELEMENTS_PER_JOB, STORED_BYTES);

  /** The defaults ({@code auth.quotas}) with the token's own values ({@code own}, may be null) over them. */
  public static Quotas effective(JsonObject defaults, JsonObject own) {
    JsonObject merged = defaults.copy();
    if (own != null) {
      merged.mergeIn(own);
    }
    return fromJson(merged);
  }

  public static Quotas fromJson(JsonObject json) {
    return new Quotas(json.getLong(ACTIVE_JOBS), json.getLong(ELEMENTS_PER_JOB), json.getLong(STORED_BYTES));
  }

  public JsonObject toJson() {
    return new JsonObject().put(ACTIVE_JOBS, maxActiveJobs).put(ELEMENTS_PER_JOB, maxElementsPerJob)
        .put(STORED_BYTES, maxStoredBytes);
  }

  /** Checks a token's own quotas as given to POST /api/tokens: known names, whole numbers of at least 0. */
  public static JsonObject validOverrides(Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject json)) {
      throw ApiError.badRequest("quotas must be an object such as {\"maxActiveJobs\":5}");
    }
    for (String name : json.fieldNames()) {
      Object v = json.getValue(name);
      if (!NAMES.contains(name)) {
        throw ApiError.badRequest("unknown quota '" + name + "'; a token may set " + String.join(", ", NAMES));
      }
      if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 0) {
        throw ApiError.badRequest("quota " + name + " must be a whole number of at least 0, got " + v);
      }
    }
    return json;
  }

  public static ApiError activeJobsRefusal(long active, long max) {
    return new ApiError(429, "you have " + active + (active == 1 ? " active job" : " active jobs")
        + " (queued or running), the maximum for your token ("
        + key(ACTIVE_JOBS) + " = " + max + "); submit again once one has finished");
  }

  public static ApiError elementsRefusal(long elements, long max) {
    return new ApiError(429, "this job has " + elements + " values in A, B and C together, more than the maximum for "
        + "your token (" + key(ELEMENTS_PER_JOB) + " = " + max + "); submit a smaller product");
  }

  public static ApiError storedBytesRefusal(long stored, long adding, long max) {
    return new ApiError(429, "the results of your jobs take " + stored + " bytes and this job's would add " + adding
        + ", more than the maximum for your token (" + key(STORED_BYTES) + " = " + max + ")");
  }

  /**
   * The Retry-After of a quota refusal. An event-bus failure carries only a status and a
   * message, so the HTTP edge reads the quota's name from the message: an active job ends
   * soon; stored bytes and job sizes do not change by waiting, so a long wait is advised.
   */
  public static int retryAfterSeconds(String message) {
    return message != null && message.contains(key(ACTIVE_JOBS)) ? 10 : 3600;
  }

  private static String key(String name) {
    return "auth.quotas." + name;
  }
}

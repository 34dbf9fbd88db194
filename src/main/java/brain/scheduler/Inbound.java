package brain.scheduler;

import brain.model.ApiError;
import io.vertx.core.json.JsonObject;

/**
 * Validation of what workers send. Untrusted browsers are on the other end: every field is
 * type- and range-checked here, and nothing in this class throws anything but {@link ApiError}.
 */
final class Inbound {
  /** The newest worker protocol (docs/PROTOCOL.md); 1 is still spoken (base64 payloads on the bus). */
  static final int PROTOCOL = 2;
  /** The most item ids a worker may list as held. */
  static final int MAX_HOLDS = 256;

  private static final int MAX_NAME = 40;
  private static final int MAX_ADAPTER = 120;
  private static final int MAX_ERROR = 500;

  private Inbound() {}

  /**
   * The largest compute or wait time a result may state, in milliseconds. Larger values are
   * nonsense and refused; values up to it are hints, clamped to what the server saw.
   */
  static final double MAX_REPORTED_MS = 1e9;

  /** What a result or failure says it is about; jobId and chunkIndex may be null. */
  record LeaseRef(String sessionId, String assignmentId, String jobId, Integer chunkIndex) {}

  /** The rest of a result: the worker's timings (hints, bounded by what the server saw) and the payload. */
  record Times(double computeMs, double waitMs, String data) {}

  record Failure(String sessionId, String assignmentId, String error) {}

  static JsonObject object(Object body) {
    if (!(body instanceof JsonObject json)) {
      throw ApiError.badRequest("the message body must be a JSON object");
    }
    return json;
  }

  /** A registration, normalized: the fields of docs/PROTOCOL.md with defaults filled in. */
  static JsonObject registration(Object body, int defaultSlots) {
    JsonObject json = object(body);
    Object protocol = json.getValue("protocol");
    if (protocol != null && !(protocol instanceof Number n && (n.intValue() == 1 || n.intValue() == PROTOCOL)
        && n.doubleValue() == n.intValue())) {
      throw ApiError.badRequest("this server speaks worker protocols 1 and " + PROTOCOL);
    }
    String workerId = string(json, "workerId", true);
    if (!isToken(workerId, 8, 64)) {
      throw ApiError.badRequest("workerId must be 8 to 64 characters of letters, digits, '-' or '_'");
    }
    String engine = string(json, "engine", true);
    if (!engine.equals("webgpu") && !engine.equals("cpu")) {
      throw ApiError.badRequest("engine must be \"webgpu\" or \"cpu\"");
    }
    String name = clean(string(json, "name", false), MAX_NAME);
    String adapter = clean(string(json, "adapter", false), MAX_ADAPTER);
    int slots = (int) number(json, "slots", defaultSlots, 1, 8);
    double opsPerMs = number(json, "opsPerMs", 0, 0, 1e12);
    double maxBuffer = number(json, "maxBufferBytes", Long.MAX_VALUE, 1024, Long.MAX_VALUE);
    // Its budget for one chunk's A panel, B panel and C block; absent: unbounded (today's workers).
    double memory = number(json, "memoryBytes", Long.MAX_VALUE, 1024, Long.MAX_VALUE);
    String key = string(json, "key", false);
    return new JsonObject()
        .put("key", key.length() > 200 ? "" : key)
        .put("workerId", workerId)
        .put("name", name.isEmpty() ? "worker " + workerId.substring(Math.max(0, workerId.length() - 6)) : name)
        .put("engine", engine)
        .put("adapter", adapter.isEmpty() ? engine : adapter)
        .put("slots", slots)
        .put("opsPerMs", opsPerMs)
        .put("maxBufferBytes", (long) maxBuffer)
        .put("memoryBytes", (long) memory)

        .put("protocol", protocol == null ? 1 : ((Number) protocol).intValue())
        .put("holds", new io.vertx.core.json.JsonArray(java.util.List.copyOf(holds(json))));
  }

  /**
   * The item ids a registration or heartbeat lists under {@code holds}: at most {@link #MAX_HOLDS}
   * tokens (more, or anything else, is refused); absent is none.
   */
  static java.util.Set<String> holds(JsonObject json) {
    Object value = json.getValue("holds");
    if (value == null) {
      return java.util.Set.of();
    }
    if (!(value instanceof io.vertx.core.json.JsonArray array) || array.size() > MAX_HOLDS) {
      throw ApiError.badRequest("holds must be an array of at most " + MAX_HOLDS + " item ids");
    }
    java.util.Set<String> ids = new java.util.LinkedHashSet<>();
    for (Object id : array) {
      if (!(id instanceof String text) || !isToken(text, 1, 64)) {
        throw ApiError.badRequest("holds must list item ids (1 to 64 characters of letters, digits, '-' or '_')");
      }
      ids.add(text);
    }
    return java.util.Set.copyOf(ids);
  }

  /**
   * Which lease a result is about. Read first, so that a result with a malformed field can be
   * refused to the worker holding the lease rather than dropped unheard.
   */
  static LeaseRef resultRef(Object body) {
    JsonObject json = object(body);
    return new LeaseRef(token(json, "sessionId"), token(json, "assignmentId"), token(json, "jobId"),
        (int) number(json, "chunkIndex", -1, 0, Integer.MAX_VALUE));
  }

  /** The timings and payload of a result: numbers of milliseconds, 0 to {@link #MAX_REPORTED_MS}. */
  static Times resultTimes(JsonObject json) {
    return new Times(number(json, "computeMs", 0, 0, MAX_REPORTED_MS), number(json, "waitMs", 0, 0, MAX_REPORTED_MS),
        string(json, "data", true));
  }

  static Failure failure(Object body) {
    JsonObject json = object(body);
    return new Failure(token(json, "sessionId"), token(json, "assignmentId"),
        clean(string(json, "error", false), MAX_ERROR));
  }

  static String sessionId(Object body) {
    return token(object(body), "sessionId");
  }

  private static String token(JsonObject json, String field) {
    String value = string(json, field, true);
    if (!isToken(value, 1, 64)) {
      throw ApiError.badRequest(field + " is not a valid id");
    }
    return value;
  }

  private static String string(JsonObject json, String field, boolean required) {
    Object value = json.getValue(field);
    if (value == null) {
      if (required) {
        throw ApiError.badRequest(field + " is required");
      }
      return "";
    }
    if (!(value instanceof String text)) {
      throw ApiError.badRequest(field + " must be a string");
    }
    return text;
  }

  private static double number(JsonObject json, String field, double fallback, double min, double max) {
    Object value = json.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number number) || !Double.isFinite(number.doubleValue())) {
      throw ApiError.badRequest(field + " must be a finite number, not " + describe(value));
    }
    double d = number.doubleValue();
    if (d < min || d > max) {
      throw ApiError.badRequest(field + " must be between " + plain(min) + " and " + plain(max) + ", not " + plain(d));
    }
    return d;
  }

  private static String describe(Object value) {
    return value instanceof String ? "a string" : value instanceof Number ? String.valueOf(value) : "a " + value.getClass()
        .getSimpleName().replace("Json", "").toLowerCase(java.util.Locale.ROOT);
  }

  private static String plain(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
  }

  /** {@code min}..{@code max} characters of [A-Za-z0-9_-] (checked on every result: no regex). */
  static boolean isToken(String value, int min, int max) {
    int n = value.length();
    if (n < min || n > max) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
        return false;
      }
    }
    return true;
  }

  /** Trims, drops control characters, bounds the length. */
  private static String clean(String text, int max) {
    String cleaned = text.replaceAll("\\p{Cntrl}", "").strip();
    return cleaned.length() > max ? cleaned.substring(0, max) : cleaned;
  }
}

package brain.bus;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * The length of a JSON value's text, {@code encode().length()}, found by walking it instead of
 * encoding it: a message is encoded once, by whoever sends it (the bridge, for a frame), and its
 * size is still known for the byte budgets and the metrics, exactly but for the escapes of
 * strings over {@link #LONG_STRING} characters. Written here because neither Vert.x nor Jackson
 * offers it; {@code JsonLengthTest} holds it to {@code encode()}.
 */
public final class JsonLength {
  /**
   * Longer strings are counted without looking for escapes: those the server sends are base64
   * payloads, which have none, and scanning one of an inline chunk's 8 KiB cost 4–9 µs a frame,
   * twice per chunk. An inbound frame's escapes are not its wire text anyway (it was parsed).
   */
  static final int LONG_STRING = 256;

  private JsonLength() {}

  public static long of(Object value) {
    // The commonest first; the backing map and list, not JsonObject's iterator: that one wraps
    // every entry (and every nested map) in a new object.
    if (value instanceof String text) {
      return ofString(text);
    }
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      return digits(((Number) value).longValue());
    }
    if (value instanceof JsonObject object) {
      return ofMap(object.getMap());
    }
    if (value instanceof JsonArray array) {
      return ofList(array.getList());
    }
    if (value instanceof Map<?, ?> map) {
      return ofMap(map);
    }
    if (value instanceof List<?> list) {
      return ofList(list);
    }
    if (value == null) {
      return 4;
    }
    if (value instanceof Boolean flag) {
      return flag ? 4 : 5;
    }
    if (value instanceof Double d && Double.isFinite(d)) {
      return Double.toString(d).length(); // what Jackson writes for a finite double
    }
    if (value instanceof CharSequence text) {
      return ofString(text.toString());
    }
    return Json.encode(value).length(); // a float, a byte[] as base64, an Instant: rare, and encoded alone
  }

  private static long ofMap(Map<?, ?> map) {
    long size = 2 + Math.max(0, map.size() - 1); // braces and commas
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      Object key = entry.getKey();
      size += ofString(key instanceof String k ? k : String.valueOf(key)) + 1 + of(entry.getValue());
    }
    return size;
  }

  private static long ofList(List<?> list) {
    long size = 2 + Math.max(0, list.size() - 1);
    for (int i = 0, n = list.size(); i < n; i++) {
      size += of(list.get(i));
    }
    return size;
  }

  /** Quotes and Jackson's escapes: a backslash before a quote, a backslash and the short control escapes, six characters for the other controls. */
  private static long ofString(String text) {
    int n = text.length();
    long size = n + 2;
    if (n > LONG_STRING) {
      return size; // see LONG_STRING
    }
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c <= '\\' && (c < 0x20 || c == '"' || c == '\\')) {
        size += c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == '"' || c == '\\' ? 1 : 5;
      }
    }
    return size;
  }

  private static long digits(long v) {
    if (v < 0) {
      return v == Long.MIN_VALUE ? 20 : 1 + digits(-v);
    }
    long bound = 10;
    for (int n = 1; n < 19; n++, bound *= 10) { // multiplying, not dividing: this runs for every number of every frame
      if (v < bound) {
        return n;
      }
    }
    return 19;
  }
}

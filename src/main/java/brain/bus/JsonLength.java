package brain.bus;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * The length of a JSON value's text, {@code encode().length()}, found by walking it instead of
 * encoding it: a message is encoded once, by whoever sends it (the bridge, for a frame), and its
 * size is still known exactly for the byte budgets and the metrics. Written here because neither
 * Vert.x nor Jackson offers it; {@code JsonLengthTest} holds it to {@code encode()}.
 */
public final class JsonLength {
  private JsonLength() {}

  public static long of(Object value) {
    // The backing map and list, not JsonObject's iterator: that one wraps every entry (and every
    // nested map) in a new object.
    if (value instanceof JsonObject object) {
      return ofMap(object.getMap());
    }
    if (value instanceof Map<?, ?> map) {
      return ofMap(map);
    }
    if (value instanceof JsonArray array) {
      return ofList(array.getList());
    }
    if (value instanceof List<?> list) {
      return ofList(list);
    }
    if (value instanceof CharSequence text) {
      return ofString(text);
    }
    if (value == null) {
      return 4;
    }
    if (value instanceof Boolean flag) {
      return flag ? 4 : 5;
    }
    if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return digits(((Number) value).longValue());
    }
    return Json.encode(value).length(); // a double, a byte[] as base64, an Instant: rare, and encoded alone
  }

  private static long ofMap(Map<?, ?> map) {
    long size = 2 + Math.max(0, map.size() - 1); // braces and commas
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      size += ofString(String.valueOf(entry.getKey())) + 1 + of(entry.getValue());
    }
    return size;
  }

  private static long ofList(List<?> list) {
    long size = 2 + Math.max(0, list.size() - 1);
    for (Object item : list) {
      size += of(item);
    }
    return size;
  }

  /** Quotes and Jackson's escapes: {@code \"}, {@code \\}, the short control escapes, {@code \\u00XX} for the others. */
  private static long ofString(CharSequence text) {
    long size = text.length() + 2;
    for (int i = 0, n = text.length(); i < n; i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\' || c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r') {
        size += 1;
      } else if (c < 0x20) {
        size += 5;
      }
    }
    return size;
  }

  private static long digits(long v) {
    if (v == Long.MIN_VALUE) {
      return 20;
    }
    long size = v < 0 ? 2 : 1;
    for (long rest = Math.abs(v); rest >= 10; rest /= 10) {
      size++;
    }
    return size;
  }
}

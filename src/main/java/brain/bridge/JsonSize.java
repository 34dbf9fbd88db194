package brain.bridge;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * A cheap upper-bound-ish estimate of the bytes a parsed frame took on the wire, for the byte
 * budget. The bridge hands us the frame already parsed, so re-encoding it would double the
 * cost; walking it costs one step per JSON value, and a result's payload is one long string.
 */
final class JsonSize {
  private JsonSize() {}

  static long of(Object value) {
    // The backing map and list, not JsonObject's iterator: that one wraps every entry (and every
    // nested map) in a new object, on each inbound frame.
    if (value instanceof JsonObject object) {
      return ofMap(object.getMap());
    }
    if (value instanceof Map<?, ?> map) {
      return ofMap(map);
    }
    if (value instanceof JsonArray array) {
      return ofList(array.getList());
    }
    if (value instanceof java.util.List<?> list) {
      return ofList(list);
    }
    if (value instanceof CharSequence text) {
      return text.length() + 2L;
    }
    return 8; // a number, true, false or null
  }

  private static long ofMap(Map<?, ?> map) {
    long size = 2;
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      size += String.valueOf(entry.getKey()).length() + 4 + of(entry.getValue());
    }
    return size;
  }

  private static long ofList(java.util.List<?> list) {
    long size = 2;
    for (Object item : list) {
      size += 1 + of(item);
    }
    return size;
  }
}

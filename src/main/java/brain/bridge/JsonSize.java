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
    if (value instanceof JsonObject object) {
      long size = 2;
      for (Map.Entry<String, Object> entry : object) {
        size += entry.getKey().length() + 4 + of(entry.getValue());
      }
      return size;
    }
    if (value instanceof JsonArray array) {
      long size = 2;
      for (Object item : array) {
        size += 1 + of(item);
      }
      return size;
    }
    if (value instanceof CharSequence text) {
      return text.length() + 2L;
    }
    return 8; // a number, true, false or null
  }
}

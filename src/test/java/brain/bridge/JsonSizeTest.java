package brain.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class JsonSizeTest {
  @Test
  @DisplayName("a frame's size estimate is the same whether it was parsed or built of maps and lists, and not below its encoded length")
  void sameEstimateEitherWay() {
    String text = "{\"address\":\"brain.worker.result\",\"body\":{\"data\":\"" + "A".repeat(4000)
        + "\",\"n\":[1,2,{\"k\":\"v\"}]},\"type\":\"send\"}";
    JsonObject parsed = new JsonObject(text);
    JsonObject built = new JsonObject(Map.of("address", "brain.worker.result", "type", "send",
        "body", Map.of("data", "A".repeat(4000), "n", List.of(1, 2, Map.of("k", "v")))));
    assertEquals(JsonSize.of(parsed), JsonSize.of(built));
    assertTrue(JsonSize.of(parsed) >= text.length(), JsonSize.of(parsed) + " < " + text.length());
    assertTrue(JsonSize.of(parsed) < text.length() + 200, "an estimate, not a multiple: " + JsonSize.of(parsed));
  }
}

package brain.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class JsonLengthTest {
  /** Characters that encode as themselves, as two, as six, or as part of a surrogate pair. */
  private static final String CHARS = "aZ09-_/ .:{}[]\"\\\b\t\n\f\r\u0000\u0001\u001f\u007fé€\ud83d\ude00";

  @Test
  @DisplayName("a message's length without encoding it is exactly its encoded length, built or parsed")
  void sameAsEncoded() {
    Random random = new Random(13);
    for (int i = 0; i < 500; i++) {
      JsonObject message = object(random, 3);
      String text = message.encode();
      assertEquals(text.length(), JsonLength.of(message), text);
      JsonObject parsed = new JsonObject(text); // the bridge's frames: Integer, Long, Double, String
      assertEquals(parsed.encode().length(), JsonLength.of(parsed), text);
    }
  }

  @Test
  @DisplayName("a chunk message of the data plane: ids, URLs, shapes and a lease")
  void chunkMessage() {
    JsonObject chunk = new JsonObject().put("type", "chunk").put("assignmentId", "q3-_Zx81kLm0aPz9Xc2B1w")
        .put("jobId", "7f1c2e4a-0d8b-4c55-9a57-3e2b0f9d1c6e").put("chunkIndex", 31).put("rowStart", 496)
        .put("rows", 16).put("colsA", 512).put("colsB", 512).put("colStart", 0).put("leaseMs", 30_000L)
        .put("inputs", new JsonArray().add(new JsonObject().put("id", "a-Yk2").put("role", "a").put("rows", 16)
            .put("cols", 512).put("bytes", 32_768L).put("url", "/data/a-Yk2?c=tok")))
        .put("upload", "/data/results/q3?c=tok&job=7f1c&chunk=31").put("resultBytes", 32_768L);
    assertEquals(chunk.encode().length(), JsonLength.of(chunk));
  }

  @Test
  @DisplayName("integers on each side of every power of ten, both signs, and the extremes")
  void digitsAtEveryPowerOfTen() {
    JsonArray numbers = new JsonArray().add(Long.MAX_VALUE).add(Long.MIN_VALUE).add(Integer.MIN_VALUE).add(0);
    for (long p = 1; p > 0 && p <= Long.MAX_VALUE / 10 * 10; p *= 10) {
      numbers.add(p - 1).add(p).add(p + 1).add(-p).add(1 - p);
      if (p > Long.MAX_VALUE / 10) {
        break;
      }
    }
    for (Object n : numbers) {
      assertEquals(String.valueOf(n).length(), JsonLength.of(n), String.valueOf(n));
    }
    assertEquals(numbers.encode().length(), JsonLength.of(numbers));
  }

  @Test
  @DisplayName("a base64 payload is counted by its length, and only strings over 256 characters skip the escape scan")
  void longStrings() {
    String base64 = brain.model.Float32Codec.toBase64(new float[4096]);
    JsonObject result = new JsonObject().put("assignmentId", "q3").put("data", base64);
    assertEquals(result.encode().length(), JsonLength.of(result), "a result message, exactly");
    String quotes = "\"".repeat(JsonLength.LONG_STRING);
    assertEquals(new JsonArray().add(quotes).encode().length(), JsonLength.of(new JsonArray().add(quotes)),
        "256 characters: still scanned, exact");
    assertEquals(JsonLength.LONG_STRING + 1 + 2, JsonLength.of(quotes + "\""), "257: its length, escapes not counted");
  }

  private static JsonObject object(Random random, int depth) {
    JsonObject object = new JsonObject();
    int n = random.nextInt(6);
    for (int i = 0; i < n; i++) {
      object.put(string(random) + i, value(random, depth));
    }
    return object;
  }

  private static Object value(Random random, int depth) {
    return switch (random.nextInt(depth > 0 ? 11 : 9)) {
      case 0 -> string(random);
      case 1 -> random.nextInt() >> random.nextInt(32);
      case 2 -> random.nextBoolean() ? Long.MIN_VALUE : random.nextLong() >> random.nextInt(64);
      case 3 -> random.nextBoolean();
      case 4 -> null;
      case 5 -> random.nextDouble() * Math.pow(10, random.nextInt(40) - 20);
      case 6 -> (float) random.nextGaussian();
      case 7 -> new byte[random.nextInt(7)];
      case 8 -> random.nextBoolean() ? Long.MAX_VALUE : 0;
      case 9 -> object(random, depth - 1);
      default -> {
        JsonArray array = new JsonArray();
        for (int i = random.nextInt(5); i > 0; i--) {
          array.add(value(random, depth - 1));
        }
        yield array;
      }
    };
  }

  private static String string(Random random) {
    StringBuilder text = new StringBuilder();
    for (int i = random.nextInt(12); i > 0; i--) {
      text.append(CHARS.charAt(random.nextInt(CHARS.length())));
    }
    return text.toString();
  }
}

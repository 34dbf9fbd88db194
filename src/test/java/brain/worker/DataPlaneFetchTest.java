package brain.worker;

import static org.junit.jupiter.api.Assertions.*;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A headless worker's fetch of a data item from a real HTTP server on 127.0.0.1: the body lands
 * in an array of exactly the item's size, sent in many pieces; a body longer or shorter than the
 * item, or an error answer, fails the fetch with the reason and leaves nothing in the cache.
 */
class DataPlaneFetchTest {
  private Vertx vertx;
  private HttpServer server;
  private DataCache cache;
  private DataPlane data;
  private io.vertx.core.Context context;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    server = vertx.createHttpServer().requestHandler(request -> {
      var response = request.response();
      switch (request.path()) {
        case "/data/exact" -> { // 100,000 floats 0, 1, 2, ... in pieces of 4,000 bytes
          response.setChunked(true);
          for (int start = 0; start < 100_000; start += 1000) {
            Buffer piece = Buffer.buffer();
            for (int i = start; i < start + 1000; i++) {
              piece.appendFloatLE(i);
            }
            response.write(piece);
          }
          response.end();
        }
        case "/data/odd" -> { // 30,000 floats -i in pieces of 1, 2, 3, 4001, 3999, ... bytes: floats split across pieces
          Buffer all = Buffer.buffer();
          for (int i = 0; i < 30_000; i++) {
            all.appendFloatLE(-i);
          }
          response.setChunked(true);
          int[] sizes = {1, 2, 3, 4001, 3999, 5, 7, 65_537};
          int at = 0;
          for (int k = 0; at < all.length(); k++) {
            int end = Math.min(all.length(), at + sizes[k % sizes.length]);
            response.write(all.getBuffer(at, end));
            at = end;
          }
          response.end();
        }
        case "/data/long" -> response.end(Buffer.buffer(new byte[12]));
        case "/data/short" -> response.end(Buffer.buffer(new byte[4]));
        default -> response.setStatusCode(404).end("{\"error\":\"no such item\"}");
      }
    });
    server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    cache = new DataCache(1 << 20);
    data = new DataPlane(vertx, "test", 2, new NodeTargets("127.0.0.1", server.actualPort(), false), cache, () -> {});
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private float[] fetch(String id, int rows, int cols) throws Exception {
    JsonObject item = new JsonObject().put("id", id).put("role", "a").put("rows", rows).put("cols", cols)
        .put("url", "/data/" + id + "?c=x");
    io.vertx.core.Promise<float[]> fetched = io.vertx.core.Promise.promise();
    context.runOnContext(v -> data.item(item).onComplete(fetched)); // DataPlane is confined to one context
    return fetched.future().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("a body whose pieces split its floats (1, 2, 3, 4,001 bytes ...) is still the item's values")
  void piecesSplittingFloats() throws Exception {
    float[] values = fetch("odd", 300, 100);
    for (int i = 0; i < values.length; i++) {
      assertEquals(-i, values[i], "value " + i);
    }
  }

  @Test
  @DisplayName("a body in many pieces is the item's values, counted and cached")
  void exact() throws Exception {
    float[] values = fetch("exact", 100, 1000);
    assertEquals(100_000, values.length);
    for (int i = 0; i < values.length; i++) {
      assertEquals(i, values[i], "value " + i);
    }
    assertNotNull(cache.get("exact"));
    assertEquals(100_000, data.values());
  }

  @Test
  @DisplayName("a body longer or shorter than the item, or an error answer, fails the fetch and caches nothing")
  void wrongSizes() {
    Exception tooLong = assertThrows(Exception.class, () -> fetch("long", 1, 2));
    assertTrue(tooLong.getMessage().contains("more than 8 bytes"), tooLong.getMessage());
    Exception tooShort = assertThrows(Exception.class, () -> fetch("short", 1, 2));
    assertTrue(tooShort.getMessage().contains("has 4 bytes, not 8"), tooShort.getMessage());
    Exception missing = assertThrows(Exception.class, () -> fetch("gone", 1, 2));
    assertTrue(missing.getMessage().contains("answered 404"), missing.getMessage());
    assertNull(cache.get("long"));
    assertNull(cache.get("short"));
    assertEquals(0, data.values());
  }
}

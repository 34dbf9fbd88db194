package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestGrid;
import io.vertx.core.Future;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which pages may open the bridge, and which SockJS transports exist at all. */
@Timeout(60)
class OriginTest {
  private static final String ALLOWED = "https://partner.example";
  private static final String EVIL = "http://evil.example";

  private static TestGrid grid;
  private static WebSocketClient sockets;

  @BeforeAll
  static void start() {
    grid = TestGrid.start(Map.of("http.allowedOrigins", new JsonArray().add(ALLOWED)));
    sockets = grid.vertx().createWebSocketClient();
  }

  @AfterAll
  static void stop() {
    grid.close();
  }

  private static String self() {
    return "http://127.0.0.1:" + grid.port();
  }

  private static Future<WebSocket> upgrade(String uri, String origin) {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(grid.port()).setURI(uri);
    if (origin != null) {
      options.addHeader("origin", origin);
    }
    return sockets.connect(options);
  }

  private static int refusedStatus(String uri, String origin) {
    Throwable failure = assertThrows(Throwable.class, () -> TestGrid.awaitOrThrow(upgrade(uri, origin)));
    assertInstanceOf(UpgradeRejectedException.class, failure, failure.toString());
    return ((UpgradeRejectedException) failure).getStatus();
  }

  private static HttpResponse<String> post(String path, String origin) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(grid.baseUrl() + path))
        .POST(HttpRequest.BodyPublishers.noBody());
    if (origin != null) {
      request.header("origin", origin);
    }
    // HTTP/1.1 as browsers' SockJS XHR uses it (the JDK client would otherwise try h2c), and a
    // client per request: SockJS may close a polling connection after answering.
    try {
      return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String session() {
    return "s" + Long.toHexString(System.nanoTime());
  }

  @Test
  @DisplayName("a WebSocket upgrade from another origin gets 403, on the raw and the SockJS WebSocket")
  void crossOriginWebSocketRefused() {
    assertEquals(403, refusedStatus("/eventbus/websocket", EVIL));
    assertEquals(403, refusedStatus("/eventbus/000/" + session() + "/websocket", EVIL));
    // Another name for this host is another origin.
    assertEquals(403, refusedStatus("/eventbus/websocket", "http://localhost:" + grid.port()));
    assertEquals(403, refusedStatus("/eventbus/websocket", "null"));
  }

  @Test
  @DisplayName("the server's own origin, a listed origin, and no Origin at all may open the WebSocket")
  void ownListedAndNoOriginAccepted() {
    for (String origin : new String[] {self(), ALLOWED, null}) {
      WebSocket ws = TestGrid.await(upgrade("/eventbus/websocket", origin));
      assertFalse(ws.isClosed(), "accepted with origin " + origin);
      TestGrid.await(ws.close());
    }
  }

  @Test
  @DisplayName("a SockJS XHR session from another origin gets 403; same origin and no Origin open it")
  void crossOriginXhrRefused() {
    HttpResponse<String> refused = post("/eventbus/000/" + session() + "/xhr", EVIL);
    assertEquals(403, refused.statusCode());
    assertTrue(refused.body().contains("origin"), refused.body());
    for (String origin : new String[] {self(), null}) {
      HttpResponse<String> opened = post("/eventbus/000/" + session() + "/xhr", origin);
      assertEquals(200, opened.statusCode(), "origin " + origin + ": " + opened.body());
      assertEquals("o\n", opened.body(), "the SockJS open frame");
    }
    assertEquals(403, post("/eventbus/000/" + session() + "/xhr_send", EVIL).statusCode());
  }

  @Test
  @DisplayName("JSONP, EventSource, htmlfile and the iframe page are gone; /info claims no wildcard origin")
  void onlyNeededTransports() {
    assertEquals(404, grid.get("/eventbus/000/" + session() + "/jsonp?c=callback").statusCode());
    assertEquals(404, post("/eventbus/000/" + session() + "/jsonp_send", null).statusCode());
    assertEquals(404, grid.get("/eventbus/000/" + session() + "/eventsource").statusCode());
    assertEquals(404, grid.get("/eventbus/000/" + session() + "/htmlfile?c=callback").statusCode());
    assertEquals(404, grid.get("/eventbus/iframe.html").statusCode());

    HttpResponse<String> info = grid.get("/eventbus/info");
    assertEquals(200, info.statusCode());
    JsonObject body = new JsonObject(info.body());
    assertTrue(body.getBoolean("websocket"));
    assertFalse(body.getJsonArray("origins").contains("*:*"), info.body());
    HttpRequest evilInfo = HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/eventbus/info"))
        .header("origin", EVIL).GET().build();
    assertEquals(403, grid.send(evilInfo).statusCode());
    HttpRequest partnerInfo = HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/eventbus/info"))
        .header("origin", ALLOWED).GET().build();
    HttpResponse<String> partner = grid.send(partnerInfo);
    assertEquals(200, partner.statusCode());
    assertEquals(ALLOWED, partner.headers().firstValue("access-control-allow-origin").orElse(null));
  }
}

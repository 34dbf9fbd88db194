package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.auth.Tokens;
import brain.testing.TestGrid;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The dashboard's sign-in: POST /api/session sets an HttpOnly, SameSite=Strict cookie that the API accepts. */
@Timeout(60)
class SessionTest {
  private static TestGrid grid;
  private static String alice;
  private static String aliceJob;
  private static String adminJob;

  @BeforeAll
  static void start() {
    grid = TestGrid.start();
    alice = grid.createToken("alice", Tokens.REQUESTOR);
    aliceJob = grid.as(alice).submit("{\"rowsA\":4,\"colsA\":4,\"colsB\":4}");
    adminJob = grid.submit("{\"rowsA\":4,\"colsA\":4,\"colsB\":4}");
  }

  @AfterAll
  static void stop() {
    grid.close();
  }

  private static HttpResponse<String> signIn(String body, String forwardedProto) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/session"))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (forwardedProto != null) {
      request.header("x-forwarded-proto", forwardedProto);
    }
    return grid.anonymous().send(request.build());
  }

  private static HttpResponse<String> withCookie(String method, String path, String cookie) {
    return grid.anonymous().send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + path))
        .header("cookie", Tokens.COOKIE + "=" + cookie).method(method, HttpRequest.BodyPublishers.noBody()).build());
  }

  @Test
  @DisplayName("POST /api/session: 200 {name, role} and Set-Cookie brain_session=<token>; HttpOnly; SameSite=Strict; Path=/")
  void signInSetsTheCookie() {
    HttpResponse<String> signedIn = signIn(new JsonObject().put("token", alice).encode(), null);
    assertEquals(200, signedIn.statusCode(), signedIn.body());
    assertEquals(new JsonObject().put("name", "alice").put("role", "requestor"), new JsonObject(signedIn.body()));
    String cookie = signedIn.headers().firstValue("set-cookie").orElseThrow();
    assertTrue(cookie.startsWith(Tokens.COOKIE + "=" + alice + ";"), cookie);
    List<String> attributes = List.of(cookie.split(";\\s*"));
    assertTrue(attributes.contains("HttpOnly"), cookie);
    assertTrue(attributes.contains("SameSite=Strict"), cookie);
    assertTrue(attributes.contains("Path=/"), cookie);
    assertFalse(attributes.contains("Secure"), "plain http: no Secure (the browser would drop it): " + cookie);

    String overTls = signIn(new JsonObject().put("token", alice).encode(), "https").headers().firstValue("set-cookie")
        .orElseThrow();
    assertTrue(List.of(overTls.split(";\\s*")).contains("Secure"), "behind a TLS proxy: " + overTls);
  }

  @Test
  @DisplayName("a bad token signs in nobody: 401 with WWW-Authenticate: Bearer and no cookie")
  void badTokenIsRefused() {
    HttpResponse<String> refused = signIn(new JsonObject().put("token", Tokens.newToken()).encode(), null);
    assertEquals(401, refused.statusCode());
    assertEquals("Bearer", refused.headers().firstValue("www-authenticate").orElseThrow());
    assertTrue(refused.headers().firstValue("set-cookie").isEmpty());
    assertEquals(400, signIn("{}", null).statusCode());
  }

  @Test
  @DisplayName("the cookie authenticates the API: GET /api/jobs lists alice's jobs only; GET /api/session says who")
  void cookieAuthenticates() {
    HttpResponse<String> jobs = withCookie("GET", "/api/jobs", alice);
    assertEquals(200, jobs.statusCode(), jobs.body());
    List<String> ids = new JsonObject(jobs.body()).getJsonArray("jobs").stream()
        .map(j -> ((JsonObject) j).getString("id")).toList();
    assertTrue(ids.contains(aliceJob));
    assertFalse(ids.contains(adminJob));
    assertEquals("alice", new JsonObject(withCookie("GET", "/api/session", alice).body()).getString("name"));
    assertEquals(401, grid.anonymous().get("/api/session").statusCode());
    assertEquals(401, withCookie("GET", "/api/jobs", Tokens.newToken()).statusCode());
  }

  @Test
  @DisplayName("DELETE /api/session: 204 and the cookie cleared (Max-Age=0), with a stale cookie too")
  void signOutClearsTheCookie() {
    for (String cookie : List.of(alice, "stale-" + Tokens.newToken())) {
      HttpResponse<String> out = withCookie("DELETE", "/api/session", cookie);
      assertEquals(204, out.statusCode());
      String cleared = out.headers().firstValue("set-cookie").orElseThrow();
      List<String> attributes = List.of(cleared.split(";\\s*"));
      assertEquals(Tokens.COOKIE + "=", attributes.get(0), cleared);
      assertTrue(attributes.contains("Max-Age=0"), cleared);
      assertTrue(attributes.contains("Path=/") && attributes.contains("HttpOnly"), cleared);
    }
  }
}

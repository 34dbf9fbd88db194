package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.auth.Tokens;
import brain.testing.ApiClient;
import brain.testing.TestGrid;
import brain.worker.HeadlessWorker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/**
 * Every API route × every kind of caller: no token, an unknown one, a revoked one, another
 * requestor's, the owning requestor's, an admin's. Each cell asserts the status (401 with
 * {@code WWW-Authenticate: Bearer}, 403 for a requestor on admin routes, 404 for another's job
 * exactly as for an unknown id, 2xx otherwise) and, where the call was refused, that nothing
 * changed: the same jobs in the same states, the same tokens.
 */
@Timeout(180)
class AuthRoutesTest {
  enum Kind { NONE, UNKNOWN, REVOKED, OTHER_REQUESTOR, OWN_REQUESTOR, ADMIN }

  /** How a route treats callers: open to anyone, any requestor, a job's owner, or admins only. */
  enum Access { PUBLIC, REQUESTOR, OWNER, ADMIN }

  /** One route: its method, a path made fresh per cell (a job to cancel...), a body, its success status. */
  record Route(String method, String template, Access access, int ok, Supplier<String> path, String body) {
    @Override
    public String toString() {
      return method + " " + template;
    }
  }

  private static TestGrid grid;
  private static final Map<Kind, String> tokens = new java.util.EnumMap<>(Kind.class);
  /** Alice's completed job: its result, preview, inputs and timeline exist. */
  private static String doneJob;

  @BeforeAll
  static void start() {
    grid = TestGrid.start();
    tokens.put(Kind.ADMIN, TestGrid.ADMIN_TOKEN);
    tokens.put(Kind.OWN_REQUESTOR, grid.createToken("alice", Tokens.REQUESTOR));
    tokens.put(Kind.OTHER_REQUESTOR, grid.createToken("bob", Tokens.REQUESTOR));
    tokens.put(Kind.UNKNOWN, Tokens.newToken());
    tokens.put(Kind.REVOKED, grid.createToken("mallory", Tokens.REQUESTOR));
    assertEquals(204, grid.delete("/api/tokens/mallory").statusCode());
    // One job computed to the end, then no worker: every later job stays queued (nothing moves under the checks).
    HeadlessWorker worker = grid.worker("w");
    try (TestGrid.JobWatch watch = grid.watch()) {
      doneJob = grid.as(tokens.get(Kind.OWN_REQUESTOR)).submit("{\"rowsA\":12,\"colsA\":8,\"colsB\":6}");
      assertEquals("completed", watch.finished(doneJob).getString("status"));
    }
    TestGrid.await(worker.stop());
  }

  @AfterAll
  static void stop() {
    grid.close();
  }

  private static ApiClient as(Kind kind) {
    return grid.as(tokens.get(kind));
  }

  /** A fresh queued job of alice's (for cancel). */
  private static String aliceQueuedJob() {
    return as(Kind.OWN_REQUESTOR).submit("{\"rowsA\":4,\"colsA\":4,\"colsB\":4}");
  }

  private static List<Route> routes() {
    Supplier<String> done = () -> doneJob;
    String spec = "{\"rowsA\":4,\"colsA\":4,\"colsB\":4}";
    return List.of(
        new Route("GET", "/api/health", Access.PUBLIC, 200, () -> "/api/health", null),
        new Route("GET", "/api/leaderboard", Access.PUBLIC, 200, () -> "/api/leaderboard", null),
        new Route("GET", "/api/workers", Access.PUBLIC, 200, () -> "/api/workers", null),
        new Route("GET", "/api/jobs", Access.REQUESTOR, 200, () -> "/api/jobs", null),
        new Route("POST", "/api/jobs", Access.REQUESTOR, 202, () -> "/api/jobs", spec),
        new Route("GET", "/api/session", Access.REQUESTOR, 200, () -> "/api/session", null),
        new Route("GET", "/api/jobs/{id}", Access.OWNER, 200, () -> "/api/jobs/" + done.get(), null),
        new Route("GET", "/api/jobs/{id}/result", Access.OWNER, 200, () -> "/api/jobs/" + done.get() + "/result", null),
        new Route("GET", "/api/jobs/{id}/result/preview", Access.OWNER, 200,
            () -> "/api/jobs/" + done.get() + "/result/preview", null),
        new Route("GET", "/api/jobs/{id}/inputs/a", Access.OWNER, 200, () -> "/api/jobs/" + done.get() + "/inputs/a", null),
        new Route("GET", "/api/jobs/{id}/inputs/b", Access.OWNER, 200, () -> "/api/jobs/" + done.get() + "/inputs/b", null),
        new Route("GET", "/api/jobs/{id}/timeline", Access.OWNER, 200, () -> "/api/jobs/" + done.get() + "/timeline", null),
        new Route("POST", "/api/jobs/{id}/replay", Access.OWNER, 202, () -> "/api/jobs/" + done.get() + "/replay", null),
        new Route("DELETE", "/api/jobs/{id}", Access.OWNER, 200, () -> "/api/jobs/" + aliceQueuedJob(), null),
        new Route("GET", "/api/tokens", Access.ADMIN, 200, () -> "/api/tokens", null),
        new Route("POST", "/api/tokens", Access.ADMIN, 201, () -> "/api/tokens",
            "{\"name\":\"t-" + UUID.randomUUID().toString().substring(0, 8) + "\",\"role\":\"requestor\"}"),
        new Route("DELETE", "/api/tokens/{name}", Access.ADMIN, 204, () -> {
          String name = "gone-" + UUID.randomUUID().toString().substring(0, 8);
          grid.createToken(name, Tokens.REQUESTOR);
          return "/api/tokens/" + name;
        }, null));
  }

  private static int expected(Route route, Kind kind) {
    if (route.access() == Access.PUBLIC) {
      return route.ok();
    }
    if (kind == Kind.NONE || kind == Kind.UNKNOWN || kind == Kind.REVOKED) {
      return 401;
    }
    if (route.access() == Access.ADMIN && kind != Kind.ADMIN) {
      return 403;
    }
    if (route.access() == Access.OWNER && kind == Kind.OTHER_REQUESTOR) {
      return 404;
    }
    return route.ok();
  }

  @TestFactory
  @DisplayName("every route × every kind of token: the status, and nothing changed where refused")
  Stream<DynamicTest> everyRouteWithEveryToken() {
    List<DynamicTest> cells = new ArrayList<>();
    for (Route route : routes()) {
      for (Kind kind : Kind.values()) {
        int want = expected(route, kind);
        cells.add(DynamicTest.dynamicTest(route + " with " + kind + " → " + want, () -> cell(route, kind, want)));
      }
    }
    return cells.stream();
  }

  private static void cell(Route route, Kind kind, int want) {
    String path = route.path().get();
    Map<String, Object> before = snapshot();
    HttpResponse<String> response = call(as(kind), route.method(), path, route.body());
    assertEquals(want, response.statusCode(), route + " as " + kind + ": " + response.body());
    if (want == 401) {
      assertEquals("Bearer", response.headers().firstValue("www-authenticate").orElse(null), "401 says how to authenticate");
      String error = new JsonObject(response.body()).getString("error");
      assertEquals(kind == Kind.NONE ? "this call needs a token" : "unknown or revoked token",
          error.substring(0, Math.min(error.length(), kind == Kind.NONE ? 23 : 24)), "says why: " + error);
    }
    if (want == 403) {
      assertEquals("this call needs an admin token", new JsonObject(response.body()).getString("error"));
    }
    if (want == 404) {
      // Exactly what an unknown id gets, id aside: another's job is not revealed to exist.
      String unknown = UUID.randomUUID().toString();
      String id = path.split("/")[3];
      HttpResponse<String> ofUnknown = call(as(kind), route.method(), path.replace(id, unknown), route.body());
      assertEquals(404, ofUnknown.statusCode());
      assertEquals(ofUnknown.body().replace(unknown, id), response.body());
    }
    if (want >= 400) {
      assertEquals(before, snapshot(), "a refused call changed nothing");
    }
  }

  /** Every job's status and every token's name and role, as the admin sees them. */
  private static Map<String, Object> snapshot() {
    Map<String, Object> state = new TreeMap<>();
    JsonObject page = new JsonObject(grid.get("/api/jobs?limit=200").body());
    state.put("total", page.getLong("total"));
    page.getJsonArray("jobs").forEach(j -> state.put("job " + ((JsonObject) j).getString("id"),
        ((JsonObject) j).getString("status")));
    new JsonObject(grid.get("/api/tokens").body()).getJsonArray("tokens").forEach(t -> state.put(
        "token " + ((JsonObject) t).getString("name"), ((JsonObject) t).getString("role")));
    return state;
  }

  private static HttpResponse<String> call(ApiClient client, String method, String path, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(grid.baseUrl() + path));
    if (body != null) {
      request.header("content-type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return client.send(request.build());
  }

  @TestFactory
  @DisplayName("an unknown route under /api answers 401 without a token and 404 with one")
  Stream<DynamicTest> unknownRoute() {
    return Stream.of(
        DynamicTest.dynamicTest("no token", () -> assertEquals(401, grid.anonymous().get("/api/nothing-here").statusCode())),
        DynamicTest.dynamicTest("admin", () -> assertEquals(404, grid.get("/api/nothing-here").statusCode())));
  }

  @org.junit.jupiter.api.Test
  @DisplayName("a requestor's history holds only its jobs, with its own total; an admin sees all and may filter")
  void historiesAreSeparate() {
    String bobJob = as(Kind.OTHER_REQUESTOR).submit("{\"rowsA\":3,\"colsA\":3,\"colsB\":3}");
    JsonObject bobs = new JsonObject(as(Kind.OTHER_REQUESTOR).get("/api/jobs?limit=200").body());
    JsonObject alices = new JsonObject(as(Kind.OWN_REQUESTOR).get("/api/jobs?limit=200&submittedBy=bob").body());
    JsonObject all = new JsonObject(grid.get("/api/jobs?limit=200").body());
    JsonObject filtered = new JsonObject(grid.get("/api/jobs?limit=200&submittedBy=bob").body());
    assertTrue(ids(bobs).contains(bobJob));
    assertTrue(bobs.getJsonArray("jobs").stream().allMatch(j -> "bob".equals(((JsonObject) j).getString("submittedBy"))));
    assertEquals(bobs.getJsonArray("jobs").size(), bobs.getLong("total"), "the total counts bob's jobs only");
    assertFalse(ids(alices).contains(bobJob), "?submittedBy= is an admin's filter; a requestor sees its own");
    assertTrue(alices.getJsonArray("jobs").stream().allMatch(j -> "alice".equals(((JsonObject) j).getString("submittedBy"))));
    assertTrue(ids(all).contains(bobJob) && ids(all).contains(doneJob));
    assertEquals(ids(bobs), ids(filtered));
    assertEquals("alice", grid.job(doneJob).getString("submittedBy"), "the view says who submitted it");
  }

  @org.junit.jupiter.api.Test
  @DisplayName("a replay is the replayer's job; every job's row records its submitter")
  void replayBelongsToTheReplayer() throws Exception {
    HttpResponse<String> replay = grid.post("/api/jobs/" + doneJob + "/replay", "");
    assertEquals(202, replay.statusCode(), replay.body());
    String id = new JsonObject(replay.body()).getString("id");
    assertEquals("admin", grid.job(id).getString("submittedBy"));
    assertEquals(404, as(Kind.OWN_REQUESTOR).get("/api/jobs/" + id).statusCode(), "alice does not see the admin's replay");
    try (var db = grid.database(); var rows = db.createStatement().executeQuery(
        "SELECT submitted_by FROM jobs WHERE id = '" + doneJob + "'")) {
      assertTrue(rows.next());
      assertEquals("alice", rows.getString(1));
    }
  }

  @org.junit.jupiter.api.Test
  @DisplayName("tokens: 201 with the token once; 409 for a taken name; 400 for a bad one; listed without tokens or hashes")
  void tokensApi() {
    HttpResponse<String> created = grid.post("/api/tokens", "{\"name\":\"carol.v2\",\"role\":\"requestor\","
        + "\"quotas\":{\"maxActiveJobs\":3}}");
    assertEquals(201, created.statusCode(), created.body());
    JsonObject body = new JsonObject(created.body());
    String token = body.getString("token");
    assertEquals("carol.v2", body.getString("name"));
    assertEquals("requestor", body.getString("role"));
    assertTrue(token.length() >= 22, "at least 128 random bits");
    assertEquals(409, grid.post("/api/tokens", "{\"name\":\"carol.v2\",\"role\":\"admin\"}").statusCode());
    assertEquals(400, grid.post("/api/tokens", "{\"name\":\"no spaces\",\"role\":\"requestor\"}").statusCode());
    assertEquals(400, grid.post("/api/tokens", "{\"name\":\"" + "x".repeat(41) + "\",\"role\":\"requestor\"}").statusCode());
    assertEquals(400, grid.post("/api/tokens", "{\"name\":\"dave\",\"role\":\"root\"}").statusCode());
    assertEquals(400, grid.post("/api/tokens", "{\"name\":\"dave\",\"quotas\":{\"maxGpus\":1}}").statusCode());
    assertEquals(200, grid.as(token).get("/api/jobs").statusCode(), "the new token works at once");
    // Its use is recorded by a write that does not hold up the request (AuthVerticle): the single
    // writer takes writes in turn, so once a later one is answered (this refused delete), it is in.
    assertEquals(404, grid.delete("/api/tokens/nobody").statusCode());

    String list = grid.get("/api/tokens").body();
    assertFalse(list.contains(token), "never a token");
    assertFalse(list.contains(Tokens.hash(token)), "never a hash");
    assertFalse(list.contains(TestGrid.ADMIN_TOKEN));
    JsonArray listed = new JsonObject(list).getJsonArray("tokens");
    JsonObject carol = listed.stream().map(JsonObject.class::cast).filter(t -> t.getString("name").equals("carol.v2"))
        .findFirst().orElseThrow();
    assertEquals(Map.of("name", "carol.v2", "role", "requestor"),
        Map.of("name", carol.getString("name"), "role", carol.getString("role")));
    assertNotNull(carol.getString("createdAt"));
    assertNotNull(carol.getString("lastUsedAt"), "it was used once: recorded");
    assertEquals(3, carol.getJsonObject("quotas").getInteger("maxActiveJobs"));
    assertEquals(404, grid.delete("/api/tokens/nobody").statusCode());
  }

  @org.junit.jupiter.api.Test
  @DisplayName("a revoked token fails from the very next request; revoking the token one uses is allowed")
  void revocationIsImmediate() {
    String token = grid.createToken("erin", Tokens.ADMIN);
    ApiClient erin = grid.as(token);
    assertEquals(200, erin.get("/api/tokens").statusCode());
    assertEquals(204, erin.delete("/api/tokens/erin").statusCode(), "erin revokes herself");
    HttpResponse<String> after = erin.get("/api/jobs");
    assertEquals(401, after.statusCode());
    assertEquals("Bearer", after.headers().firstValue("www-authenticate").orElseThrow());
  }

  @org.junit.jupiter.api.Test
  @DisplayName("the token also works as ?token= and as the brain_session cookie; another scheme or a malformed one does not")
  void otherWaysToPresentAToken() {
    String alice = tokens.get(Kind.OWN_REQUESTOR);
    assertEquals(200, grid.anonymous().get("/api/session?token=" + alice).statusCode());
    HttpResponse<String> byCookie = grid.anonymous().send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/session"))
        .header("cookie", Tokens.COOKIE + "=" + alice).build());
    assertEquals("alice", new JsonObject(byCookie.body()).getString("name"));
    assertEquals(401, grid.anonymous().send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/jobs"))
        .header("authorization", "Basic " + alice).build()).statusCode());
    assertEquals(401, grid.anonymous().send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/jobs"))
        .header("authorization", "Bearer short").build()).statusCode());
  }

  @org.junit.jupiter.api.Test
  @DisplayName("auth.public.health false: GET /api/health needs a token; the other public calls stay open")
  void publicCallsCanBeClosed() {
    try (TestGrid closed = TestGrid.start(Map.of("auth.public.health", false))) {
      assertEquals(401, closed.anonymous().get("/api/health").statusCode());
      assertEquals(200, closed.get("/api/health").statusCode());
      assertEquals(200, closed.anonymous().get("/api/leaderboard").statusCode());
      assertEquals(200, closed.anonymous().get("/api/workers").statusCode());
    }
  }

  @org.junit.jupiter.api.Test
  @DisplayName("AUTH_VERIFY (the bridge's check): {name, role, quotas} for a working token, 401 for an unknown or revoked one")
  void verifyOverTheBus() throws Throwable {
    JsonObject alice = TestGrid.await(grid.vertx().eventBus().<JsonObject>request(brain.bus.Addresses.AUTH_VERIFY,
        new JsonObject().put("token", tokens.get(Kind.OWN_REQUESTOR)))).body();
    assertEquals("alice", alice.getString("name"));
    assertEquals("requestor", alice.getString("role"));
    assertEquals(10, alice.getJsonObject("quotas").getInteger("maxActiveJobs"), "the defaults of auth.quotas");
    JsonObject admin = TestGrid.await(grid.vertx().eventBus().<JsonObject>request(brain.bus.Addresses.AUTH_VERIFY,
        new JsonObject().put("token", TestGrid.ADMIN_TOKEN))).body();
    assertEquals("admin", admin.getString("role"));
    assertNull(admin.getValue("quotas"), "admins have none");
    for (Kind kind : List.of(Kind.UNKNOWN, Kind.REVOKED)) {
      Throwable refused = assertThrows(io.vertx.core.eventbus.ReplyException.class, () -> TestGrid.awaitOrThrow(
          grid.vertx().eventBus().request(brain.bus.Addresses.AUTH_VERIFY, new JsonObject().put("token", tokens.get(kind)))));
      assertEquals(401, ((io.vertx.core.eventbus.ReplyException) refused).failureCode());
    }
  }

  private static List<String> ids(JsonObject page) {
    return page.getJsonArray("jobs").stream().map(j -> ((JsonObject) j).getString("id")).sorted().toList();
  }
}

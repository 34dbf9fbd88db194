package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.bus.Addresses;
import brain.testing.ApiClient;
import brain.testing.TestGrid;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Retries with an Idempotency-Key against the real server and its SQLite file: the same key and
 * body give the same job (one row), another body with that key is refused (422), keys are per
 * caller, a key still in flight answers 409, and a retried upload answers what the first did.
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IdempotencyTest {
  private TestGrid grid;
  private ApiClient alice;
  private ApiClient bob;

  @BeforeAll
  void start() {
    grid = startGrid();
    alice = grid.as(grid.createToken("alice", "requestor"));
    bob = grid.as(grid.createToken("bob", "requestor"));
  }

  /** On a fresh SQLite file; PostgresIdempotencyTest runs the same cases on PostgreSQL. */
  TestGrid startGrid() {
    return TestGrid.start();
  }

  @AfterAll
  void stop() {
    grid.close();
  }

  private HttpResponse<String> submit(ApiClient client, String key, String json) {
    return client.send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/jobs"))
        .header("content-type", "application/json").header("idempotency-key", key)
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  private int jobsOf(String submitter) throws Exception {
    return grid.count("SELECT COUNT(*) FROM jobs WHERE submitted_by = ?", submitter);
  }


  @Test
  @DisplayName("the same key and body twice: one job in the database, the same id and answer, marked as replayed")
  void retryGetsTheSameJob() throws Exception {
    int before = jobsOf("alice");
    String body = "{\"rowsA\":8,\"colsA\":6,\"colsB\":4,\"seed\":11}";
    HttpResponse<String> first = submit(alice, "retry-1", body);
    HttpResponse<String> again = submit(alice, "retry-1", body);
    assertEquals(202, first.statusCode(), first.body());
    assertEquals(202, again.statusCode(), again.body());
    assertEquals(new JsonObject(first.body()), new JsonObject(again.body()));
    assertEquals(first.headers().firstValue("location"), again.headers().firstValue("location"));
    assertTrue(first.headers().firstValue("idempotent-replayed").isEmpty());
    assertEquals("true", again.headers().firstValue("idempotent-replayed").orElse(null));
    assertEquals(before + 1, jobsOf("alice"));
  }

  @Test
  @DisplayName("the same key sent twice at once: one job; the other answer is the same job or 409")
  void concurrentRetries() throws Exception {
    int before = jobsOf("alice");
    String body = "{\"rowsA\":8,\"colsA\":6,\"colsB\":4,\"seed\":5}";
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      var first = pool.submit(() -> submit(alice, "race-1", body));
      var second = pool.submit(() -> submit(alice, "race-1", body));
      HttpResponse<String> a = first.get(30, java.util.concurrent.TimeUnit.SECONDS);
      HttpResponse<String> b = second.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(before + 1, jobsOf("alice"), a.body() + " / " + b.body());
      for (HttpResponse<String> r : java.util.List.of(a, b)) {
        assertTrue(r.statusCode() == 202 || r.statusCode() == 409, r.statusCode() + " " + r.body());
      }
      assertTrue(a.statusCode() == 202 || b.statusCode() == 202, "one of them was accepted");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("the same key with another body: 422 naming the key, and no second job")
  void otherBodyIsRefused() throws Exception {
    assertEquals(202, submit(alice, "retry-2", "{\"rowsA\":8,\"colsA\":6,\"colsB\":4}").statusCode());
    int before = jobsOf("alice");
    HttpResponse<String> other = submit(alice, "retry-2", "{\"rowsA\":9,\"colsA\":6,\"colsB\":4}");
    assertEquals(422, other.statusCode(), other.body());
    assertTrue(new JsonObject(other.body()).getString("error").contains("retry-2"), other.body());
    assertEquals(before, jobsOf("alice"));
  }

  @Test
  @DisplayName("two callers with the same key get a job each")
  void keysArePerCaller() {
    String body = "{\"rowsA\":8,\"colsA\":6,\"colsB\":4,\"seed\":3}";
    HttpResponse<String> a = submit(alice, "shared-key", body);
    HttpResponse<String> b = submit(bob, "shared-key", body);
    assertEquals(202, a.statusCode(), a.body());
    assertEquals(202, b.statusCode(), b.body());
    assertNotEquals(new JsonObject(a.body()).getString("id"), new JsonObject(b.body()).getString("id"));
    assertTrue(b.headers().firstValue("idempotent-replayed").isEmpty());
  }

  @Test
  @DisplayName("a refused request is not remembered: the key works for the corrected one; a malformed key is 400")
  void failuresFreeTheKey() {
    HttpResponse<String> refused = submit(alice, "retry-3", "{\"rowsA\":0,\"colsA\":6,\"colsB\":4}");
    assertEquals(400, refused.statusCode(), refused.body());
    assertEquals(202, submit(alice, "retry-3", "{\"rowsA\":5,\"colsA\":6,\"colsB\":4}").statusCode());
    HttpResponse<String> malformed = submit(alice, "has space", "{\"rowsA\":5,\"colsA\":6,\"colsB\":4}");
    assertEquals(400, malformed.statusCode(), malformed.body());
    assertTrue(new JsonObject(malformed.body()).getString("error").contains("Idempotency-Key"), malformed.body());
  }

  @Test
  @DisplayName("a key still held by a request in flight answers 409, to the store and over HTTP")
  void inFlightIsAConflict() throws Exception {
    String body = "{\"rowsA\":5,\"colsA\":6,\"colsB\":4}";
    // What the API computes for that request: SHA-256 of method, path and body.
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
    sha.update(("POST /api/jobs\n" + body).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String fingerprint = java.util.HexFormat.of().formatHex(sha.digest());
    // A first request holds the key and has not answered yet (as if its node paused mid-request).
    JsonObject claim = new JsonObject().put("caller", "alice").put("key", "in-flight").put("fingerprint", fingerprint);
    JsonObject held = TestGrid.await(grid.vertx().eventBus().<JsonObject>request(Addresses.DB_IDEMPOTENCY_CLAIM, claim))
        .body();
    assertNotNull(held.getString("attempt"), held.encode());
    ReplyException busy = assertThrows(ReplyException.class,
        () -> TestGrid.awaitOrThrow(grid.vertx().eventBus().request(Addresses.DB_IDEMPOTENCY_CLAIM, claim)));
    assertEquals(409, busy.failureCode());
    int before = jobsOf("alice");
    HttpResponse<String> retry = submit(alice, "in-flight", body);
    assertEquals(409, retry.statusCode(), retry.body());
    assertTrue(new JsonObject(retry.body()).getString("error").contains("still in progress"), retry.body());
    assertEquals(before, jobsOf("alice"), "the retry created nothing");
  }

  @Test
  @DisplayName("a retried upload with the same key answers 201 and the same matrix again; other values with it: 422")
  void retriedUploadAnswersTheSame() {
    HttpResponse<String> first = upload("upload-1", 1f);
    HttpResponse<String> again = upload("upload-1", 1f);
    assertEquals(201, first.statusCode(), first.body());
    assertEquals(201, again.statusCode(), "without the key this would be 200 (already owned): " + again.body());
    assertEquals(new JsonObject(first.body()), new JsonObject(again.body()));
    assertEquals("true", again.headers().firstValue("idempotent-replayed").orElse(null));
    HttpResponse<String> other = upload("upload-1", 2f);
    assertEquals(422, other.statusCode(), other.body());
  }

  private HttpResponse<String> upload(String key, float first) {
    ByteBuffer values = ByteBuffer.allocate(6 * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 6; i++) {
      values.putFloat(first + i);
    }
    return alice.send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/matrices?rows=2&cols=3"))
        .header("content-type", "application/octet-stream").header("idempotency-key", key)
        .POST(HttpRequest.BodyPublishers.ofByteArray(values.array())).build());
  }
}

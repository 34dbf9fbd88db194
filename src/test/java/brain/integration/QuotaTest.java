package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.auth.Tokens;
import brain.testing.ApiClient;
import brain.testing.TestGrid;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Quotas of requestor tokens: over one, a 429 with Retry-After and a message naming the quota
 * and its value, and no job created. No worker is connected where jobs must stay queued.
 */
@Timeout(120)
class QuotaTest {
  private static final String SMALL = "{\"rowsA\":4,\"colsA\":4,\"colsB\":4}";

  private static long total(TestGrid grid) {
    return new JsonObject(grid.get("/api/jobs").body()).getLong("total");
  }

  private static void assertQuotaRefusal(HttpResponse<String> refused, String quota, String retryAfter) {
    assertEquals(429, refused.statusCode(), refused.body());
    assertEquals(retryAfter, refused.headers().firstValue("retry-after").orElse(null));
    String error = new JsonObject(refused.body()).getString("error");
    assertTrue(error.contains("auth.quotas." + quota), "names the quota: " + error);
  }

  @Test
  @DisplayName("maxActiveJobs 2: the third queued job is refused with 429, Retry-After 10 and the quota named; "
      + "other requestors and admins are not held to alice's count; a cancel frees a place")
  void maxActiveJobs() {
    try (TestGrid grid = TestGrid.start(Map.of("auth.quotas.maxActiveJobs", 2))) {
      ApiClient alice = grid.as(grid.createToken("alice", Tokens.REQUESTOR));
      ApiClient bob = grid.as(grid.createToken("bob", Tokens.REQUESTOR));
      String first = alice.submit(SMALL);
      alice.submit(SMALL);
      long before = total(grid);
      HttpResponse<String> refused = alice.post("/api/jobs", SMALL);
      assertQuotaRefusal(refused, "maxActiveJobs", "10");
      assertTrue(new JsonObject(refused.body()).getString("error").contains("you have 2 active jobs"), refused.body());
      assertTrue(new JsonObject(refused.body()).getString("error").contains("= 2"), "and its value: " + refused.body());
      assertEquals(429, alice.post("/api/jobs/" + first + "/replay", "").statusCode(), "a replay counts too");
      assertEquals(before, total(grid), "no job was created");

      bob.submit(SMALL);
      grid.submit(SMALL);
      grid.submit(SMALL);
      grid.submit(SMALL); // admins have no quota

      assertEquals(200, alice.delete("/api/jobs/" + first).statusCode());
      alice.submit(SMALL);
    }
  }

  @Test
  @DisplayName("maxActiveJobs holds under a burst of parallel submissions: exactly the quota is accepted")
  void burstCannotOvershoot() {
    try (TestGrid grid = TestGrid.start(Map.of("auth.quotas.maxActiveJobs", 3))) {
      ApiClient greedy = grid.as(grid.createToken("greedy", Tokens.REQUESTOR));
      List<CompletableFuture<Integer>> burst = java.util.stream.IntStream.range(0, 20)
          .mapToObj(i -> CompletableFuture.supplyAsync(() -> greedy.post("/api/jobs", SMALL).statusCode())).toList();
      List<Integer> statuses = burst.stream().map(CompletableFuture::join).toList();
      assertEquals(3, statuses.stream().filter(s -> s == 202).count(), statuses.toString());
      assertEquals(17, statuses.stream().filter(s -> s == 429).count(), statuses.toString());
      assertEquals(3, new JsonObject(greedy.get("/api/jobs").body()).getLong("total"));
    }
  }

  @Test
  @DisplayName("maxElementsPerJob (A, B and C together), from the token's own quotas: 429 naming it, no job created")
  void maxElementsPerJob() {
    try (TestGrid grid = TestGrid.start()) {
      ApiClient small = grid.as(grid.createToken("small", Tokens.REQUESTOR,
          new JsonObject().put("maxElementsPerJob", 1000)));
      small.submit("{\"rowsA\":10,\"colsA\":10,\"colsB\":10}"); // 300 values
      long before = total(grid);
      HttpResponse<String> refused = small.post("/api/jobs", "{\"rowsA\":20,\"colsA\":20,\"colsB\":20}"); // 1200
      assertQuotaRefusal(refused, "maxElementsPerJob", "3600");
      assertTrue(refused.body().contains("1200") && refused.body().contains("= 1000"), refused.body());
      assertEquals(before, total(grid));
      grid.submit("{\"rowsA\":20,\"colsA\":20,\"colsB\":20}"); // the admin has no quota
    }
  }

  @Test
  @DisplayName("maxStoredBytes: once its results take the quota, a requestor's next job is refused with 429")
  void maxStoredBytes() {
    try (TestGrid grid = TestGrid.start(Map.of("auth.quotas.maxStoredBytes", 500))) {
      grid.worker("w");
      ApiClient alice = grid.as(grid.createToken("alice", Tokens.REQUESTOR));
      try (TestGrid.JobWatch watch = grid.watch()) {
        String id = alice.submit("{\"rowsA\":10,\"colsA\":6,\"colsB\":10}"); // C: 400 bytes
        assertEquals("completed", watch.finished(id).getString("status"));
      }
      HttpResponse<String> refused = alice.post("/api/jobs", "{\"rowsA\":10,\"colsA\":6,\"colsB\":10}");
      assertQuotaRefusal(refused, "maxStoredBytes", "3600");
      assertTrue(refused.body().contains("take 400 bytes"), refused.body());
      assertEquals(202, alice.post("/api/jobs", "{\"rowsA\":5,\"colsA\":6,\"colsB\":5}").statusCode(),
          "a job whose result still fits (100 bytes) is taken");
    }
  }
}

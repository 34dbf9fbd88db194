package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestGrid;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every bad request of the contract gets a 4xx with a sentence saying what is wrong, and nothing breaks. */
@Timeout(60)
class ApiValidationTest {
  private static TestGrid grid;

  @BeforeAll
  static void start() {
    grid = TestGrid.start(Map.of("http.maxBodyBytes", 4096));
  }

  @AfterAll
  static void stop() {
    grid.close();
  }

  private static void assertRefused(HttpResponse<String> response, int status, String fragment) {
    assertEquals(status, response.statusCode(), response.body());
    assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    String error = new JsonObject(response.body()).getString("error");
    assertNotNull(error, response.body());
    assertTrue(error.contains(fragment), "'" + error + "' should mention '" + fragment + "'");
    assertFalse(error.contains("Exception") || error.contains("\tat "), "no stack trace: " + error);
  }

  @ParameterizedTest(name = "{0} → 400 mentioning \"{1}\"")
  @CsvSource(delimiter = '|', value = {
      "{}|rowsA is required",
      "{\"rowsA\":10,\"colsA\":10}|colsB is required",
      "{\"rowsA\":0,\"colsA\":10,\"colsB\":10}|between 1 and",
      "{\"rowsA\":-3,\"colsA\":10,\"colsB\":10}|between 1 and",
      "{\"rowsA\":1.5,\"colsA\":10,\"colsB\":10}|whole number",
      "{\"rowsA\":\"ten\",\"colsA\":10,\"colsB\":10}|whole number",
      "{\"rowsA\":true,\"colsA\":10,\"colsB\":10}|whole number",
      "{\"rowsA\":null,\"colsA\":10,\"colsB\":10}|rowsA is required",
      "{\"rowsA\":99999999999,\"colsA\":10,\"colsB\":10}|between 1 and",
      "{\"rowsA\":16000,\"colsA\":16000,\"colsB\":1}|A would hold",
      "{\"rowsA\":10,\"colsA\":10,\"colsB\":10,\"seed\":-1}|seed must be between",
      "{\"rowsA\":10,\"colsA\":10,\"colsB\":10,\"seed\":\"abc\"}|seed must be a whole number",
      "{\"rowsA\":10,\"colsA\":10,\"colsB\":10,\"verify\":\"sometimes\"}|verify must be one of",
      "{\"rowsA\":10,\"colsA\":10,\"colsB\":10,\"chunkRows\":0}|chunkRows must be between",
      "{\"rowsA\":10,\"colsA\":10,\"colsB\":10,\"chunkRows\":11}|only 10 rows",
      "{\"rowsA\":10,\"colsA\":10,\"colsB\":10,\"rows\":10}|unknown field 'rows'",
      "[1,2,3]|not a JSON object",
      "not json|not a JSON object",
      "{\"rowsA\":10,|not a JSON object",
      "\"\"|not a JSON object"})
  void badSubmissions(String body, String fragment) {
    assertRefused(grid.post("/api/jobs", body), 400, fragment);
  }

  @Test
  void emptyBody() {
    assertRefused(grid.post("/api/jobs", ""), 400, "empty");
  }

  @Test
  @DisplayName("a body over the limit is refused with 413 before it is read")
  void oversizedBody() {
    String big = "{\"rowsA\":10,\"colsA\":10,\"colsB\":10,\"pad\":\"" + "x".repeat(10_000) + "\"}";
    assertRefused(grid.post("/api/jobs", big), 413, "larger than");
  }

  @Test
  void unknownAndMalformedIds() {
    String unknown = "/api/jobs/00000000-0000-0000-0000-000000000000";
    assertRefused(grid.get(unknown), 404, "no job");
    assertRefused(grid.get(unknown + "/result"), 404, "no job");
    assertRefused(grid.get(unknown + "/inputs/a"), 404, "no job");
    assertRefused(grid.get(unknown + "/timeline"), 404, "no job");
    assertRefused(grid.delete(unknown), 404, "no job");
    assertRefused(grid.post(unknown + "/replay", ""), 404, "no job");
    assertRefused(grid.get("/api/jobs/not_an_id!"), 400, "not a job id");
  }

  @Test
  @DisplayName("result before completion is 409; an input other than a or b is 404; cancel twice is 409")
  void stateConflicts() {
    String id = grid.submit("{\"rowsA\":10,\"colsA\":10,\"colsB\":10}");
    assertRefused(grid.get("/api/jobs/" + id + "/result"), 409, "is queued");
    assertRefused(grid.get("/api/jobs/" + id + "/inputs/c"), 404, "inputs a and b");
    HttpResponse<String> cancelled = grid.delete("/api/jobs/" + id);
    assertEquals(200, cancelled.statusCode(), cancelled.body());
    assertEquals("cancelled", new JsonObject(cancelled.body()).getString("status"));
    assertRefused(grid.delete("/api/jobs/" + id), 409, "already cancelled");
    assertRefused(grid.get("/api/jobs/" + id + "/result"), 409, "is cancelled");
    assertEquals("cancelled", grid.job(id).getString("status"), "stored as cancelled");
  }

  @Test
  void badQueryParameters() {
    assertRefused(grid.get("/api/jobs?limit=0"), 400, "limit must be between 1 and 200");
    assertRefused(grid.get("/api/jobs?limit=abc"), 400, "limit must be a whole number");
    assertRefused(grid.get("/api/jobs?offset=-1"), 400, "offset must be between");
    assertRefused(grid.get("/api/leaderboard?limit=1000"), 400, "limit must be between 1 and 100");
  }

  @Test
  void unknownEndpoints() {
    assertRefused(grid.get("/api/nothing-here"), 404, "no endpoint GET /api/nothing-here");
    assertRefused(grid.send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/jobs"))
        .PUT(HttpRequest.BodyPublishers.ofString("{}")).build()), 404, "no endpoint PUT /api/jobs");
  }

  @Test
  @DisplayName("after all of that the server still works: health answers and a valid job is accepted")
  void serverStillHealthy() {
    HttpResponse<String> health = grid.get("/api/health");
    assertEquals(200, health.statusCode());
    assertEquals("up", new JsonObject(health.body()).getString("status"));
    assertEquals(202, grid.post("/api/jobs", "{\"rowsA\":3,\"colsA\":3,\"colsB\":3}").statusCode());
  }

  @Test
  @DisplayName("history lists jobs newest first, with paging")
  void history() {
    String first = grid.submit("{\"rowsA\":4,\"colsA\":4,\"colsB\":4}");
    String second = grid.submit("{\"rowsA\":5,\"colsA\":5,\"colsB\":5}");
    JsonObject page = new JsonObject(grid.get("/api/jobs?limit=2").body());
    assertEquals(2, page.getJsonArray("jobs").size());
    assertEquals(second, page.getJsonArray("jobs").getJsonObject(0).getString("id"));
    assertEquals(first, page.getJsonArray("jobs").getJsonObject(1).getString("id"));
    assertTrue(page.getLong("total") >= 2);
    JsonObject next = new JsonObject(grid.get("/api/jobs?limit=1&offset=1").body());
    assertEquals(first, next.getJsonArray("jobs").getJsonObject(0).getString("id"));
  }
}

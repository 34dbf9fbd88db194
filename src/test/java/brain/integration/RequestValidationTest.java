package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestGrid;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Requests refused by the validation that the router derives from openapi.yaml (no hand-written
 * check behind these): a 400 in the API's error shape whose message names the parameter or field
 * and says what was wrong, and nothing created.
 */
@Timeout(60)
class RequestValidationTest {
  private static TestGrid grid;

  @BeforeAll
  static void start() {
    grid = TestGrid.start();
  }

  @AfterAll
  static void stop() {
    grid.close();
  }

  @ParameterizedTest(name = "{0} {1} {2} → 400 mentioning \"{3}\"")
  @CsvSource(delimiter = '|', value = {
      "POST|/api/tokens|{\"name\":\"bad name!\"}|name",
      "POST|/api/tokens|{\"name\":\"ok\",\"role\":\"king\"}|role",
      "POST|/api/tokens|{\"name\":\"ok\",\"colour\":\"red\"}|colour",
      "POST|/api/tokens|{}|name",
      "POST|/api/tokens|[]|JSON object",
      "DELETE|/api/tokens/bad!name||name",
      "GET|/api/jobs?submittedBy=no%20spaces||submittedBy",
      "GET|/api/jobs/some-job/result/preview?size=7||size must be between 8 and 256",
      "GET|/api/jobs/some-job/result/preview?size=big||size must be a whole number",
      "GET|/api/matrices/bad.id!||not a matrix id"})
  @DisplayName("a request the document refuses")
  void refusedByTheDocument(String method, String path, String body, String fragment) {
    HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body);
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(grid.baseUrl() + path)).method(method, publisher);
    if (body != null) {
      request.header("content-type", "application/json");
    }
    HttpResponse<String> response = grid.send(request.build());
    assertEquals(400, response.statusCode(), response.body());
    String error = new JsonObject(response.body()).getString("error");
    System.out.println("[validation] " + method + " " + path + " " + body + " → " + error);
    assertTrue(error.contains(fragment), "'" + error + "' should mention '" + fragment + "'");
    assertFalse(error.contains("Exception") || error.contains("#/"), "no internals: " + error);
  }

  @ParameterizedTest(name = "Idempotency-Key \"{0}\" → 400")
  @CsvSource({"has space", "'" + "k" + "'"})
  @DisplayName("an Idempotency-Key the document does not admit")
  void badIdempotencyKey(String key) {
    String value = key.equals("k") ? "k".repeat(256) : key;
    HttpResponse<String> response = grid.send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/jobs"))
        .header("content-type", "application/json").header("idempotency-key", value)
        .POST(HttpRequest.BodyPublishers.ofString("{\"rowsA\":2,\"colsA\":2,\"colsB\":2}")).build());
    assertEquals(400, response.statusCode(), response.body());
    String error = new JsonObject(response.body()).getString("error");
    System.out.println("[validation] Idempotency-Key " + value.length() + " chars → " + error);
    assertTrue(error.toLowerCase().contains("idempotency-key"), error);
  }
}

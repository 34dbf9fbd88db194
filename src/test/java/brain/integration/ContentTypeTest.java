package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestGrid;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** API bodies are JSON only: anything else is 415 before it is read. */
@Timeout(60)
class ContentTypeTest {
  private static final String SPEC = "{\"rowsA\":8,\"colsA\":8,\"colsB\":8}";

  private TestGrid grid;

  @BeforeEach
  void start() {
    grid = TestGrid.start();
  }

  @AfterEach
  void stop() {
    grid.close();
  }

  private HttpResponse<String> post(String path, String contentType, String body, String origin) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(grid.baseUrl() + path))
        .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("content-type", contentType);
    }
    if (origin != null) {
      request.header("origin", origin);
    }
    return grid.send(request.build());
  }

  private long jobsStored() {
    return new JsonObject(grid.get("/api/jobs").body()).getLong("total");
  }

  @Test
  @DisplayName("a cross-origin text/plain POST /api/jobs gets 415 naming application/json, and creates no job")
  void textPlainRefused() {
    HttpResponse<String> refused = post("/api/jobs", "text/plain", SPEC, "http://evil.example");
    assertEquals(415, refused.statusCode());
    assertTrue(new JsonObject(refused.body()).getString("error").contains("application/json"), refused.body());
    assertEquals(415, post("/api/jobs", "application/x-www-form-urlencoded", SPEC, null).statusCode());
    assertEquals(415, post("/api/jobs", "multipart/form-data; boundary=x", SPEC, null).statusCode());
    assertEquals(415, post("/api/jobs", null, SPEC, null).statusCode(), "a body without a content type");
    assertEquals(0, jobsStored(), "no job was created");
  }

  @Test
  @DisplayName("application/json (with or without charset) is still 202; a replay without a body too, with a text body 415")
  void jsonAccepted() {
    assertEquals(202, post("/api/jobs", "application/json", SPEC, null).statusCode());
    HttpResponse<String> created = post("/api/jobs", "Application/JSON; charset=UTF-8", SPEC, null);
    assertEquals(202, created.statusCode(), created.body());
    String id = new JsonObject(created.body()).getString("id");
    assertEquals(202, post("/api/jobs/" + id + "/replay", null, null, null).statusCode());
    assertEquals(415, post("/api/jobs/" + id + "/replay", "text/plain", "again", null).statusCode());
    assertEquals(3, jobsStored());
  }
}

package brain.http;

import static org.junit.jupiter.api.Assertions.*;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The copy of openapi.yaml that the API router is built from: what it leaves out, and why each. */
class ApiRoutesTest {
  private static final JsonObject DOC = new JsonObject("""
      {"openapi": "3.1.0", "security": [{"bearer": []}],
       "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
       "paths": {
         "/api/jobs": {"post": {"operationId": "submitJob", "security": [],
           "requestBody": {"content": {"application/json": {"schema": {"oneOf": [{"type": "object"}]}}}}}},
         "/api/matrices": {"post": {"operationId": "uploadMatrix",
           "requestBody": {"content": {"application/x-npy": {}, "application/octet-stream": {}}}}},
         "/api/soon": {"parameters": [], "get": {"operationId": "soon", "x-brain-pending": true}},
         "/metrics": {"get": {"operationId": "getMetrics"}}}}""");

  @Test
  @DisplayName("security, media types vertx-openapi cannot load, paths outside /api and pending operations are left out")
  void leavesOut() {
    JsonObject copy = ApiRoutes.validatable(DOC);
    assertNull(copy.getValue("security"));
    assertNull(copy.getJsonObject("components").getValue("securitySchemes"));
    JsonObject paths = copy.getJsonObject("paths");
    assertEquals(java.util.Set.of("/api/jobs", "/api/matrices"), paths.fieldNames());
    assertNull(paths.getJsonObject("/api/jobs").getJsonObject("post").getValue("security"));
    assertEquals(java.util.Set.of("application/octet-stream"), paths.getJsonObject("/api/matrices").getJsonObject("post")
        .getJsonObject("requestBody").getJsonObject("content").fieldNames());
    // A job submission is checked as an object by the router, field by field by JobSpec.
    assertEquals(new JsonObject().put("type", "object"), paths.getJsonObject("/api/jobs").getJsonObject("post")
        .getJsonObject("requestBody").getJsonObject("content").getJsonObject("application/json").getJsonObject("schema"));
    assertNotNull(DOC.getJsonObject("paths").getJsonObject("/metrics"), "the document itself is untouched");
  }
}

package brain.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** HTTP requests made with one token (or none): the same helpers as the grid's. */
public final class ApiClient {
  private final HttpClient http;
  private final String baseUrl;
  private final String token;

  ApiClient(HttpClient http, String baseUrl, String token) {
    this.http = http;
    this.baseUrl = baseUrl;
    this.token = token;
  }

  public String token() {
    return token;
  }

  public HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET().build());
  }

  public HttpResponse<byte[]> getBytes(String path) {
    try {
      return http.send(authorized(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET().build()),
          HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  public HttpResponse<String> post(String path, String json) {
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  public HttpResponse<String> delete(String path) {
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).DELETE().build());
  }

  public HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(authorized(request), HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  public String submit(String json) {
    HttpResponse<String> response = post("/api/jobs", json);
    if (response.statusCode() != 202) {
      throw new AssertionError("expected 202, got " + response.statusCode() + ": " + response.body());
    }
    return new JsonObject(response.body()).getString("id");
  }

  public JsonObject job(String id) {
    return new JsonObject(get("/api/jobs/" + id).body());
  }

  private HttpRequest authorized(HttpRequest request) {
    if (token == null || request.headers().firstValue("authorization").isPresent()) {
      return request;
    }
    return HttpRequest.newBuilder(request, (name, value) -> true).header("authorization", "Bearer " + token).build();
  }
}

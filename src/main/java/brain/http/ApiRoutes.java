package brain.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatableRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The API's routes, built from the OpenAPI document (src/main/resources/openapi.yaml) with
 * Vert.x's OpenAPI router: each API mounts its handlers by method and path as before, and they
 * land on the document's operation of that method and path, behind the validation the router
 * derives from the document (parameters, headers, bodies). A handler for a method and path the
 * document lacks fails the start, and so does an operation left without a handler: the document
 * and the routes cannot drift apart.
 *
 * <p>Mounted after authentication and the 415 check (which stay on the main router). A
 * {@link BodyHandler} must read the body before validation, so it goes on the main router too.
 */
final class ApiRoutes {
  /** Operations whose requests the document cannot validate (see {@link #validatable}). */
  private static final Set<String> NOT_VALIDATED = Set.of("uploadMatrix");

  private final Router main;
  private final RouterBuilder builder;
  private final JsonObject document;
  private final Map<String, String> operations = new HashMap<>();

  private ApiRoutes(Router main, RouterBuilder builder, OpenAPIContract contract, JsonObject document) {
    this.main = main;
    this.builder = builder;
    this.document = document;
    for (Operation op : contract.operations()) {
      operations.put(op.getHttpMethod().name() + " " + op.getOpenAPIPath(), op.getOperationId());
    }
  }

  /** Loads the document (on a worker thread: it is read and checked against the OpenAPI schema). */
  static Future<ApiRoutes> load(Vertx vertx, Router main) {
    return vertx.executeBlocking(ApiRoutes::document, false).compose(doc -> OpenAPIContract.from(vertx, validatable(doc))
        .map(contract -> new ApiRoutes(main, RouterBuilder.create(vertx, contract, EXTRACTOR), contract, doc)));
  }

  /**
   * The body handler (on the main router) has read bodies by then: the extractor takes them from
   * there. Media types are case-insensitive (RFC 9110) but vertx-openapi 5.0 compares them as
   * written, so "Application/JSON" is lower-cased before validation.
   */
  private static final RequestExtractor EXTRACTOR = (ctx, operation) -> RequestExtractor.withBodyHandler()
      .extractValidatableRequest(ctx, operation)
      .map(request -> request.getContentType() == null ? request : new LowerCaseType(request));

  private record LowerCaseType(ValidatableRequest request) implements ValidatableRequest {
    @Override
    public String getContentType() {
      return request.getContentType().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public Map<String, RequestParameter> getCookies() {
      return request.getCookies();
    }

    @Override
    public Map<String, RequestParameter> getPathParameters() {
      return request.getPathParameters();
    }

    @Override
    public Map<String, RequestParameter> getQuery() {
      return request.getQuery();
    }

    @Override
    public Map<String, RequestParameter> getHeaders() {
      return request.getHeaders();
    }

    @Override
    public RequestParameter getBody() {
      return request.getBody();
    }
  }

  Mounted get(String path) {
    return new Mounted(HttpMethod.GET, path);
  }

  Mounted post(String path) {
    return new Mounted(HttpMethod.POST, path);
  }

  Mounted delete(String path) {
    return new Mounted(HttpMethod.DELETE, path);
  }

  /** A cross-cutting handler (a gate on a path prefix), on the main router before every operation. */
  Route route(String path) {
    return main.route(path);
  }

  /** The router of every operation; fails if one was left without a handler. */
  Router build() {
    List<String> unrouted = builder.getRoutes().stream().filter(r -> r.getHandlers().isEmpty())
        .map(r -> r.getOperation().getHttpMethod() + " " + r.getOperation().getOpenAPIPath()).toList();
    if (!unrouted.isEmpty()) {
      throw new IllegalStateException("operations in openapi.yaml without a handler: " + unrouted);
    }
    NOT_VALIDATED.forEach(id -> builder.getRoute(id).setDoValidation(false));
    builder.getRoutes().forEach(route -> route.addFailureHandler(
        ctx -> ValidationErrors.handle(ctx, route.getOperation(), document)));
    return builder.createRouter();
  }

  /** One operation's handlers, added in order behind its validation. */
  final class Mounted {
    private final HttpMethod method;
    private final String path;
    private final String operationId;

    private Mounted(HttpMethod method, String path) {
      this.method = method;
      this.path = path;
      this.operationId = operations.get(method.name() + " " + path.replaceAll(":([A-Za-z0-9_]+)", "{$1}"));
      if (operationId == null) {
        JsonObject item = document.getJsonObject("paths").getJsonObject(path.replaceAll(":([A-Za-z0-9_]+)", "{$1}"));
        boolean pending = item != null && item.getValue(method.name().toLowerCase(java.util.Locale.ROOT))
            instanceof JsonObject op && op.getBoolean("x-brain-pending", false);
        throw new IllegalStateException(method + " " + path + (pending
            ? " is marked x-brain-pending in openapi.yaml: now that it is served, remove the mark"
            : " has no operation in openapi.yaml"));
      }
    }

    Mounted handler(Handler<RoutingContext> handler) {
      if (handler instanceof BodyHandler) {
        main.route(method, path).handler(handler);
      } else {
        builder.getRoute(operationId).addHandler(handler);
      }
      return this;
    }
  }

  private static JsonObject document() throws IOException {
    try (InputStream in = ApiRoutes.class.getClassLoader().getResourceAsStream("openapi.yaml")) {
      if (in == null) {
        throw new IOException("openapi.yaml is not on the class path");
      }
      // Through JSON: plain JsonObject/JsonArray values all the way down.
      return new JsonObject(Json.encode(new Yaml(new SafeConstructor(new LoaderOptions())).load(in)));
    }
  }

  /**
   * The copy of the document the router is built from. vertx-openapi 5.0 refuses to load a
   * document with media types it cannot validate (application/x-npy): those entries are dropped
   * here (an upload streams its body and is checked by MatricesApi, so it is not validated
   * anyway). Security is dropped too: ApiAuth authenticates every call before this router (the
   * router would otherwise want an authentication handler per scheme). A job submission is
   * validated as a JSON object only: its fields are checked by JobSpec, whose messages name the
   * field and the rule (the document's oneOf of two forms would answer "matches neither"), and
   * whose limits come from the configuration, which the document cannot know.
   */
  static JsonObject validatable(JsonObject doc) {
    JsonObject copy = doc.copy();
    // Only /api is this router's: GET /metrics (outside it, as scrapers expect) is mounted by MetricsApi.
    JsonObject paths = copy.getJsonObject("paths");
    new ArrayList<>(paths.fieldNames()).stream().filter(path -> !path.startsWith("/api/")).forEach(paths::remove);
    // An operation marked x-brain-pending is in the contract but not served yet (the contract test
    // skips it while no route answers it): not this router's until the mark goes.
    for (String path : new ArrayList<>(paths.fieldNames())) {
      JsonObject item = paths.getJsonObject(path);
      new ArrayList<>(item.fieldNames()).stream()
          .filter(method -> item.getValue(method) instanceof JsonObject op && op.getBoolean("x-brain-pending", false))
          .forEach(item::remove);
      if (item.fieldNames().stream().allMatch(field -> field.equals("parameters") || field.equals("summary")
          || field.equals("description"))) {
        paths.remove(path);
      }
    }
    copy.remove("security");
    copy.getJsonObject("components", new JsonObject()).remove("securitySchemes");
    strip(copy);
    copy.getJsonObject("paths").getJsonObject("/api/jobs").getJsonObject("post").getJsonObject("requestBody")
        .getJsonObject("content").getJsonObject("application/json").put("schema", new JsonObject().put("type", "object"));
    return copy;
  }

  private static void strip(Object node) {
    if (node instanceof JsonObject object) {
      if (object.getValue("content") instanceof JsonObject content) {
        for (String type : new ArrayList<>(content.fieldNames())) {
          if (!MediaType.isMediaTypeSupported(type)) {
            content.remove(type);
          }
        }
        if (content.isEmpty()) {
          object.remove("content");
        }
      }
      if (object.getValue("operationId") instanceof String) {
        object.remove("security");
      }
      for (String field : new ArrayList<>(object.fieldNames())) {
        strip(object.getValue(field));
      }
    } else if (node instanceof JsonArray array) {
      array.forEach(ApiRoutes::strip);
    }
  }
}

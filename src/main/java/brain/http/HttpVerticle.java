package brain.http;

import static brain.bus.Addresses.*;

import brain.auth.TokenAuthProvider;
import brain.bridge.BridgeGuard;
import brain.bridge.BridgeLimits;
import brain.bridge.BridgeOrigins;
import brain.bridge.BridgePermits;
import brain.config.BrainConfig;
import brain.model.ApiError;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.Transport;
import java.util.List;
import java.util.Set;

/**
 * HTTP: the REST API, the pages and shaders, WebJars, and the SockJS event-bus bridge at
 * /eventbus. Deployed as several instances sharing one port (Vert.x spreads connections over
 * them), so socket writes use every core; they share one {@link BridgeGuard}.
 */
public final class HttpVerticle extends VerticleBase {
  /** Pages never evaluate code they did not load from this server: no eval, no inline script. */
  private static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
      + "img-src 'self' data: blob:; connect-src 'self'%s; worker-src 'self'; object-src 'none'; base-uri 'none'; "
      + "frame-ancestors 'none'; form-action 'self'";

  private final BridgeGuard guard;
  private final Admission admission;
  private HttpServer server;
  private Router router;
  private Router apiRouter;
  /** The node list changes rarely: the policy is rebuilt only then (it was formatted per request). */
  private io.vertx.core.json.JsonArray policyNodes;
  private String policy;

  public HttpVerticle(BridgeGuard guard, Admission admission) {
    this.guard = guard;
    this.admission = admission;
  }

  @Override
  public Future<?> start() {
    BrainConfig.Reader conf = new BrainConfig.Reader(config());
    long maxMessageBytes = conf.longValue("bridge.maxMessageBytes");

    Router router = Router.router(vertx);
    this.router = router;
    router.route().handler(this::securityHeaders);
    String node = brain.cluster.NodeId.of(vertx);
    router.route().handler(ctx -> { // which node answered: what a person behind a load balancer asks first
      ctx.response().putHeader("x-brain-node", node);
      ctx.next();
    });
    // A stopping node refuses what would change something before anything is claimed (Admission).
    router.route("/api/*").handler(admission::handle);
    List<String> origins = conf.array("http.allowedOrigins").stream().map(String::valueOf).toList();
    if (!origins.isEmpty()) {
      router.route("/api/*").handler(CorsHandler.create().addOrigins(origins)
          .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE))
          .allowedHeaders(Set.of("content-type", "accept", "authorization", "idempotency-key"))
          .exposedHeaders(Set.of("location", "x-brain-node", "x-matrix-rows", "x-matrix-cols", "x-matrix-format",
              "retry-after", "www-authenticate", "idempotent-replayed")));
    }
    // A worker tab of one node may fetch from and upload to another's data plane (its socket moved there).
    router.route("/data/*").handler(DataApi::cors);
    // Authentication first (a stranger learns nothing more than 401): every route below finds
    // its caller in ctx.user(), or is public.
    ApiAuth auth = new ApiAuth(new TokenAuthProvider(vertx), conf);
    auth.mount(router);
    // Before any route reads a body: the API takes JSON bodies only (415 otherwise).
    router.post("/api/*").handler(JsonBodiesOnly::check);
    // The operations: built from openapi.yaml (ApiRoutes), behind the checks above.
    Future<Void> storage = ApiRoutes.load(vertx, router).compose(api -> {
      new SessionApi(auth).mount(api);
      new TokensApi(vertx).mount(api);
      new JobsApi(vertx, conf.integer("limits.maxJsonResultValues"), java.nio.file.Path.of(conf.string("storage.dir")))
          .mount(api, conf.longValue("http.maxBodyBytes"));
      Future<Void> uploads = new MatricesApi(vertx, conf).mount(api);
      new GridApi(vertx).mount(api);
      // The API's contract (src/main/resources/openapi.yaml) and Swagger UI on it (webroot/api-docs.html): public.
      api.get("/api/openapi.yaml").handler(ctx -> ctx.response().putHeader("content-type", "application/yaml; charset=utf-8")
          .putHeader("cache-control", "no-cache").sendFile("openapi.yaml"));
      api.get("/api/docs").handler(ctx -> ctx.response().putHeader("content-type", "text/html; charset=utf-8")
          .putHeader("cache-control", "no-cache").sendFile("webroot/api-docs.html"));
      // Its routes keep the document's absolute paths (/api/...): mounted at the root.
      apiRouter = api.build();
      router.route("/*").subRouter(apiRouter);
      router.route("/api/*").handler(ctx -> HttpReplies.error(ctx, 404,
          "no endpoint " + ctx.request().method() + " " + ctx.request().path() + "; see the API summary in the README"));
      router.route("/api/*").failureHandler(this::apiFailure);
      new DataApi(vertx, maxMessageBytes).mount(router);
      router.route("/data/*").failureHandler(this::apiFailure);
      new MetricsApi(vertx).mount(router, auth, conf.bool("auth.public.metrics"));
      router.get("/metrics").failureHandler(this::apiFailure);
      mountPages(router, conf, origins, maxMessageBytes);
      return uploads;
    });

    HttpServerOptions options = new HttpServerOptions()
        // Browsers send a message as one frame: both limits must admit a whole result. A larger
        // frame closes the connection (Netty); a larger message in fragments fails the stream,
        // and the guard closes the socket on that SOCKET_ERROR.
        .setMaxWebSocketMessageSize((int) maxMessageBytes)
        .setMaxWebSocketFrameSize((int) maxMessageBytes)
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false);
    // The guard's own addresses: registered by one instance only.
    Future<?> consumers = !guard.claimControl() ? Future.succeededFuture() : Future.all(
        vertx.eventBus().<JsonObject>consumer(PEER_DISCONNECT, m -> guard.disconnect(m.body().getString("peerId")))
            .completion(),
        vertx.eventBus().consumer(BRIDGE_STATS, m -> m.reply(new JsonObject().put("openSockets", guard.openSockets())))
            .completion());
    return Future.all(consumers, storage).compose(v -> vertx.createHttpServer(options).requestHandler(router)
            .listen(conf.integer("http.port"), conf.string("http.host")))
        .onSuccess(s -> server = s);
  }

  /** After the API: the bridge, then WebJars, shaders and pages. */
  private void mountPages(Router router, BrainConfig.Reader conf, List<String> origins, long maxMessageBytes) {
    mountBridge(router, conf, origins, maxMessageBytes);
    router.route("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars").setMaxAgeSeconds(86400));
    router.route("/shaders/*").handler(StaticHandler.create("shaders").setMaxAgeSeconds(60));
    router.route().handler(StaticHandler.create("webroot").setMaxAgeSeconds(60));
  }

  /**
   * The SockJS bridge at /eventbus: origins checked first (403), then the XHR body bound, then
   * SockJS with only the transports our pages use (WebSocket, then XHR streaming and polling
   * where a proxy blocks WebSockets). EventSource, htmlfile and JSONP are off: JSONP in particular
   * answers script to any page, and none of them is needed by sockjs-client in a current browser.
   */
  private void mountBridge(Router router, BrainConfig.Reader conf, List<String> origins, long maxMessageBytes) {
    guard.configure(BridgeLimits.from(conf));
    BridgeOrigins originPolicy = new BridgeOrigins(origins, () -> brain.cluster.NodeDirectory.knownUrls(vertx));
    router.route("/eventbus/*").handler(originPolicy::check);
    router.get("/eventbus/info").handler(originPolicy::info);
    // The iframe page serves the iframe-* transports, which load sockjs from a CDN: not for us.
    router.getWithRegex("/eventbus/iframe[^/]*\\.html").handler(ctx -> ctx.response().setStatusCode(404).end());
    // XHR transports of SockJS post frames in request bodies: bounded like WebSocket messages.
    router.post("/eventbus/*").handler(BodyHandler.create(false).setBodyLimit(maxMessageBytes));
    SockJSHandlerOptions sockJSOptions = new SockJSHandlerOptions().setInsertJSESSIONID(false)
        .addDisabledTransport(Transport.EVENT_SOURCE.name())
        .addDisabledTransport(Transport.HTML_FILE.name())
        .addDisabledTransport(Transport.JSON_P.name());
    // SockJS strips cookies from the handshake's headers; keep the session one for the guard.
    router.route("/eventbus/*").handler(brain.bridge.DashboardAuth::keepSessionCookie);
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx, sockJSOptions).bridge(
        BridgePermits.options(conf.longValue("bridge.pingTimeoutMs"), conf.longValue("bridge.replyTimeoutMs")), guard));
  }

  /** The routes as mounted (the contract test compares them with openapi.yaml). */
  public Router router() {
    return router;
  }

  /** The API's operations, the router built from openapi.yaml (mounted inside {@link #router()}). */
  public Router apiRouter() {
    return apiRouter;
  }

  /** The port actually bound (the configured one, or the one picked for port 0). */
  public int actualPort() {
    return server.actualPort();
  }

  private void securityHeaders(RoutingContext ctx) {
    ctx.response()
        .putHeader("x-content-type-options", "nosniff")
        .putHeader("referrer-policy", "no-referrer")
        .putHeader("content-security-policy", contentSecurityPolicy());
    ctx.next();
  }

  private String contentSecurityPolicy() {
    io.vertx.core.json.JsonArray nodes = brain.cluster.NodeDirectory.urls(vertx);
    if (policy == null || !nodes.equals(policyNodes)) {
      policyNodes = nodes;
      policy = String.format(CONTENT_SECURITY_POLICY, clusterOrigins(nodes));
    }
    return policy;
  }

  /**
   * The other nodes of the cluster, for connect-src: a worker tab whose node stops or dies
   * reconnects to another node's bridge (http(s) for SockJS's XHR, ws(s) for its WebSocket).
   */
  private static String clusterOrigins(io.vertx.core.json.JsonArray urls) {
    StringBuilder origins = new StringBuilder();
    for (Object url : urls) {
      String origin = BridgeOrigins.canonical(String.valueOf(url));
      if (origin != null) {
        origins.append(' ').append(origin).append(' ').append(origin.replaceFirst("^http", "ws"));
      }
    }
    return origins.toString();
  }

  /** A thrown exception keeps its own status (ApiError) or is a 500; a status the router set (413...) is explained. */
  private void apiFailure(RoutingContext ctx) {
    int status = ctx.statusCode();
    if (status == 413) {
      HttpReplies.error(ctx, 413, "the request body is larger than the server accepts");
    } else if (status == 401 || (ctx.failure() instanceof HttpException h && h.getStatusCode() == 401)) {
      // The authentication handler wraps the provider's refusal: its ApiError says what was wrong
      // (no token, an unknown or revoked one; 503 when tokens cannot be checked now).
      Throwable cause = ctx.failure();
      while (cause != null && !(cause instanceof ApiError)) {
        cause = cause.getCause();
      }
      HttpReplies.failure(ctx, cause != null ? cause : new ApiError(401, "unknown or revoked token"));
    } else if (status == 403) {
      // The AuthorizationHandler's refusal: the caller is known, its role is not enough.
      HttpReplies.error(ctx, 403, "this call needs an admin token");
    } else if (status >= 400 && status < 500 && !(ctx.failure() instanceof ApiError)) {
      HttpReplies.error(ctx, status, "the request could not be read");
    } else {
      HttpReplies.failure(ctx, ctx.failure() != null ? ctx.failure() : new IllegalStateException("status " + status));
    }
  }
}

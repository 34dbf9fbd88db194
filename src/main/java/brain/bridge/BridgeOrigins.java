package brain.bridge;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which web pages may open the bridge: the server's own (the Origin whose host:port is the
 * request's Host, over http or https) and those in {@code http.allowedOrigins}
 * ({@code ALLOWED_ORIGINS}; {@code *} allows any). A request without an Origin header is not
 * from a web page (the headless worker, command-line clients) and passes. Others get a 403
 * before the SockJS handler sees them, for every transport and the WebSocket upgrade.
 *
 * <p>In a cluster the pages of every node are admitted too (the node directory's public URLs):
 * a worker tab whose node stopped reconnects to another node's bridge from the page it has.
 *
 * <p>SockJS's own Origin check ({@code SockJSHandlerOptions.setOrigin}) takes one origin and
 * guards only the WebSocket transports, and its {@code /info} answers {@code origins ["*:*"]}
 * whatever is set: so both are done here.
 */
public final class BridgeOrigins {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Set<String> allowed;
  private final boolean any;
  private final java.util.function.Supplier<JsonArray> clusterNodes;

  public BridgeOrigins(List<String> allowedOrigins) {
    this(allowedOrigins, JsonArray::new);
  }

  /** {@code clusterNodes}: the public URLs of the cluster's nodes, whose pages are admitted too. */
  public BridgeOrigins(List<String> allowedOrigins, java.util.function.Supplier<JsonArray> clusterNodes) {
    this.clusterNodes = clusterNodes;
    this.any = allowedOrigins.contains("*");
    this.allowed = allowedOrigins.stream().map(BridgeOrigins::canonical).filter(o -> o != null)
        .collect(Collectors.toUnmodifiableSet());
  }

  /** Route handler for {@code /eventbus/*}: next() for an admitted origin, 403 otherwise. */
  public void check(RoutingContext ctx) {
    String origin = ctx.request().getHeader("origin");
    if (origin == null || admits(origin, ctx.request())) {
      ctx.next();
    } else {
      ctx.response().setStatusCode(403).putHeader("content-type", "text/plain; charset=utf-8")
          .end("this origin may not use the event-bus bridge\n");
    }
  }

  /**
   * Route handler for the data plane ({@code /data/*}): a worker tab whose socket moved to another
   * node fetches and uploads there, cross-origin. The origins the bridge admits get CORS
   * headers (and their preflight for PUT a 204); others get a 403 before anything else runs.
   */
  public void cors(RoutingContext ctx) {
    String origin = ctx.request().getHeader("origin");
    if (origin == null) {
      ctx.next();
      return;
    }
    if (!admits(origin, ctx.request())) {
      ctx.response().setStatusCode(403).putHeader("content-type", "text/plain; charset=utf-8")
          .end("this origin may not use the data plane\n");
      return;
    }
    ctx.response().putHeader("access-control-allow-origin", origin).putHeader("vary", "Origin");
    if (ctx.request().method() == io.vertx.core.http.HttpMethod.OPTIONS) {
      ctx.response().setStatusCode(204).putHeader("access-control-allow-methods", "GET, PUT")
          .putHeader("access-control-allow-headers", "content-type").putHeader("access-control-max-age", "600").end();
      return;
    }
    ctx.next();
  }

  boolean admits(String origin, HttpServerRequest request) {
    if (any) {
      return true;
    }
    String canonical = canonical(origin);
    return canonical != null && (allowed.contains(canonical) || sameHost(canonical, request) || clusterNode(canonical));
  }

  private boolean clusterNode(String canonicalOrigin) {
    for (Object url : clusterNodes.get()) {
      if (canonicalOrigin.equals(canonical(String.valueOf(url)))) {
        return true;
      }
    }
    return false;
  }

  /** The SockJS info answer, without the "any origin" claim of the stock one. */
  public void info(RoutingContext ctx) {
    String origin = ctx.request().getHeader("origin");
    JsonArray origins = new JsonArray();
    HostAndPort self = ctx.request().authority();
    if (self != null) {
      origins.add(self.port() < 0 ? self.host() : self.host() + ":" + self.port());
    }
    allowed.forEach(origins::add);
    if (origin != null) { // already admitted by check(): let that page read the answer
      ctx.response().putHeader("access-control-allow-origin", origin)
          .putHeader("access-control-allow-credentials", "true");
    }
    ctx.response().putHeader("content-type", "application/json; charset=UTF-8")
        .putHeader("cache-control", "no-store, no-cache, no-transform, must-revalidate, max-age=0")
        .end(new JsonObject().put("websocket", true).put("cookie_needed", false).put("origins", origins)
            // What sockjs-client expects: a random unsigned 32-bit number.
            .put("entropy", RANDOM.nextInt() & 0xffffffffL).encode());
  }

  /** The origin as scheme://host:port with the port always written; null if it is not an http(s) origin. */
  public static String canonical(String origin) {
    try {
      URI uri = new URI(origin.trim());
      String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
      if (uri.getHost() == null || !("http".equals(scheme) || "https".equals(scheme))) {
        return null;
      }
      int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(scheme) ? 443 : 80;
      return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    } catch (java.net.URISyntaxException e) {
      return null;
    }
  }

  /** Same origin: the Host the browser addressed is the Origin's host:port (default port of its scheme). */
  private static boolean sameHost(String canonicalOrigin, HttpServerRequest request) {
    HostAndPort host = request.authority();
    if (host == null) {
      return false;
    }
    String scheme = canonicalOrigin.substring(0, canonicalOrigin.indexOf(':'));
    int port = host.port() >= 0 ? host.port() : "https".equals(scheme) ? 443 : 80;
    String hostName = host.host().toLowerCase(Locale.ROOT);
    if (hostName.indexOf(':') >= 0 && !hostName.startsWith("[")) {
      hostName = "[" + hostName + "]"; // IPv6, as URI writes it in the origin
    }
    return canonicalOrigin.equals(scheme + "://" + hostName + ":" + port);
  }
}

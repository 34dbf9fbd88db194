package brain.http;

import brain.auth.TokenAuthProvider;
import brain.auth.Tokens;
import brain.config.BrainConfig;
import brain.model.ApiError;
import io.vertx.core.Future;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.authorization.RoleBasedAuthorization;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.AuthenticationHandler;
import io.vertx.ext.web.handler.AuthorizationHandler;
import io.vertx.ext.web.handler.SimpleAuthenticationHandler;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Who may call what under /api. Every call needs a token except the public ones (health,
 * leaderboard and workers, each switchable off by {@code auth.public.*}) and signing in and
 * out. The token comes, in this order, from {@code Authorization: Bearer}, a {@code ?token=}
 * parameter (the link the server prints at first start) or the dashboard's session cookie.
 */
final class ApiAuth {
  private final TokenAuthProvider provider;
  private final Set<String> open = new HashSet<>();
  private final AuthenticationHandler authentication;

  ApiAuth(TokenAuthProvider provider, BrainConfig.Reader conf) {
    this.provider = provider;
    for (String name : new String[] {"health", "leaderboard", "workers"}) {
      if (conf.bool("auth.public." + name)) {
        open.add("GET /api/" + name);
      }
    }
    // Signing in checks the token in its body; signing out must work with a stale cookie too.
    open.add("POST /api/session");
    open.add("DELETE /api/session");
    open.add("GET /api/openapi.yaml");
    open.add("GET /api/docs");
    authentication = SimpleAuthenticationHandler.create().authenticate(this::authenticate);
  }

  /** Mounts authentication for /api/*: routes mounted after it find the caller in {@code ctx.user()}. */
  void mount(Router router) {
    router.route("/api/*").handler(ctx -> {
      if (open.contains(ctx.request().method().name() + " " + ctx.normalizedPath())) {
        ctx.next();
      } else {
        authentication.handle(ctx);
      }
    });
  }

  /** The token check of /api/* for a route outside it (GET /metrics). */
  AuthenticationHandler authentication() {
    return authentication;
  }

  /** The admin-only gate, Vert.x's own: the role is the user's RoleBasedAuthorization. */
  static AuthorizationHandler adminOnly() {
    return AuthorizationHandler.create(RoleBasedAuthorization.create(Tokens.ADMIN));
  }

  /** Checks a token given in a body (sign-in). */
  Future<User> authenticate(String token) {
    return provider.authenticate(new TokenCredentials(token == null ? "" : token));
  }

  private Future<User> authenticate(RoutingContext ctx) {
    String token = presented(ctx.request());
    if (token == null) {
      return Future.failedFuture(new ApiError(401, "this call needs a token: send 'Authorization: Bearer <token>' "
          + "(the server prints an admin token at its first start; see 'A first job' in the README)"));
    }
    return authenticate(token);
  }

  /** The token the request presents, or null. A header of another scheme counts as a wrong token. */
  static String presented(HttpServerRequest request) {
    String header = request.getHeader("authorization");
    if (header != null) {
      String trimmed = header.trim();
      return trimmed.toLowerCase(Locale.ROOT).startsWith("bearer ") ? trimmed.substring(7).trim() : "";
    }
    String query = request.getParam("token");
    if (query != null) {
      return query.trim();
    }
    Cookie cookie = request.getCookie(Tokens.COOKIE);
    return cookie == null ? null : cookie.getValue();
  }
}

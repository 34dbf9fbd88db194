package brain.http;

import brain.auth.Tokens;
import brain.model.ApiError;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The dashboard's sign-in. The token goes into an HttpOnly cookie (no script of the page, nor
 * one injected into it, can read it back) with SameSite=Strict (other sites' pages cannot make
 * the browser send it); the API and the bridge's handshake both read it.
 */
final class SessionApi {
  private final ApiAuth auth;

  SessionApi(ApiAuth auth) {
    this.auth = auth;
  }

  void mount(ApiRoutes router) {
    router.post("/api/session").handler(BodyHandler.create(false).setBodyLimit(4096)).handler(this::signIn);
    router.get("/api/session").handler(this::whoAmI);
    router.delete("/api/session").handler(this::signOut);
  }

  /** {token} → {name, role} and the cookie; 401 for a token that does not work. */
  private void signIn(RoutingContext ctx) {
    // A JSON object with a token string: the document's (SignIn), checked by the router; blank is refused here.
    Object token = ctx.body().asJsonObject().getValue("token");
    if (!(token instanceof String text) || text.isBlank()) {
      throw ApiError.badRequest("send {\"token\": \"<your token>\"}");
    }
    auth.authenticate(text.trim()).onSuccess(user -> {
      ctx.response().putHeader("set-cookie", cookie(ctx, text.trim(), false));
      HttpReplies.json(ctx, 200, identity(user));
    }).onFailure(err -> HttpReplies.failure(ctx, err));
  }

  private void whoAmI(RoutingContext ctx) {
    HttpReplies.json(ctx, 200, identity(ctx.user()));
  }

  private void signOut(RoutingContext ctx) {
    ctx.response().putHeader("set-cookie", cookie(ctx, "", true));
    ctx.response().setStatusCode(204).end();
  }

  private static JsonObject identity(User user) {
    return new JsonObject().put("name", user.principal().getString("name")).put("role", user.principal().getString("role"));
  }

  /**
   * The Set-Cookie value, written out rather than by Netty's encoder (which spells the flag
   * "HTTPOnly"): the attributes read exactly as documented. Tokens are base64url, safe as a value.
   */
  private static String cookie(RoutingContext ctx, String value, boolean clear) {
    return Tokens.COOKIE + "=" + value + "; Path=/" + (clear ? "; Max-Age=0" : "") + "; HttpOnly; SameSite=Strict"
        + (overHttps(ctx) ? "; Secure" : "");
  }

  /** Directly over TLS, or behind a proxy (a tunnel) that terminated it and says so. */
  private static boolean overHttps(RoutingContext ctx) {
    return ctx.request().isSSL() || "https".equalsIgnoreCase(ctx.request().getHeader("x-forwarded-proto"));
  }
}

package brain.http;

import static brain.bus.Addresses.*;

import brain.auth.Quotas;
import brain.auth.Tokens;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Managing tokens, for admins only: create (the one time a token is shown), list (names,
 * roles, dates and quotas, never a token or hash) and revoke. A revoked token fails from its
 * next request on; the bridges hear it on {@code AUTH_REVOKED} and close its sockets.
 */
final class TokensApi {
  private static final System.Logger LOG = System.getLogger(TokensApi.class.getName());

  private final Vertx vertx;

  TokensApi(Vertx vertx) {
    this.vertx = vertx;
  }

  void mount(ApiRoutes router) {
    router.route("/api/tokens*").handler(ApiAuth.adminOnly());
    router.post("/api/tokens").handler(BodyHandler.create(false).setBodyLimit(16 * 1024)).handler(this::create);
    router.get("/api/tokens").handler(this::list);
    router.delete("/api/tokens/:name").handler(this::revoke);
  }

  /** The fields, the name's form and the role are the document's (TokenCreation), checked by the router. */
  private void create(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    String name = body.getString("name");
    String role = body.getString("role", Tokens.REQUESTOR);
    JsonObject quotas = Quotas.validOverrides(body.getValue("quotas"));
    String token = Tokens.newToken();
    JsonObject row = new JsonObject().put("name", name).put("role", role).put("hash", Tokens.hash(token))
        .put("quotas", quotas);
    Future<JsonObject> created = vertx.eventBus().<JsonObject>request(DB_TOKEN_CREATE, row).map(reply -> {
      LOG.log(System.Logger.Level.INFO, "token '" + name + "' (" + role + ") created by '" + Caller.of(ctx).name() + "'");
      ctx.response().putHeader("location", "/api/tokens/" + name);
      return new JsonObject().put("name", name).put("role", role).put("token", token)
          .put("createdAt", reply.body().getString("createdAt")).put("quotas", quotas);
    });
    HttpReplies.reply(ctx, 201, created);
  }

  private void list(RoutingContext ctx) {
    HttpReplies.reply(ctx, 200, vertx.eventBus().<JsonArray>request(DB_TOKEN_LIST, new JsonObject())
        .map(reply -> new JsonObject().put("tokens", reply.body())));
  }

  /** Revoking the token one is using is allowed: that call succeeds, the next one gets 401. */
  private void revoke(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    Future<Void> revoked = vertx.eventBus().request(DB_TOKEN_DELETE, new JsonObject().put("name", name)).map(reply -> {
      vertx.eventBus().publish(AUTH_REVOKED, new JsonObject().put("name", name));
      LOG.log(System.Logger.Level.INFO, "token '" + name + "' revoked by '" + Caller.of(ctx).name() + "'");
      return null;
    });
    revoked.onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(err -> HttpReplies.failure(ctx, err));
  }
}

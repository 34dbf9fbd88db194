package brain.http;

import static brain.bus.Addresses.*;

import brain.auth.Quotas;
import brain.auth.Tokens;
import brain.model.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Managing tokens, for admins only: create (the one time a token is shown), list (names,
 * roles, dates and quotas, never a token or hash) and revoke. A revoked token fails from its
 * next request on; the bridges hear it on {@code AUTH_REVOKED} and close its sockets.
 */
final class TokensApi {
  private static final System.Logger LOG = System.getLogger(TokensApi.class.getName());
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,40}");
  private static final Set<String> FIELDS = Set.of("name", "role", "quotas");

  private final Vertx vertx;

  TokensApi(Vertx vertx) {
    this.vertx = vertx;
  }

  void mount(Router router) {
    router.route("/api/tokens*").handler(ApiAuth.adminOnly());
    router.post("/api/tokens").handler(BodyHandler.create(false).setBodyLimit(16 * 1024)).handler(this::create);
    router.get("/api/tokens").handler(this::list);
    router.delete("/api/tokens/:name").handler(this::revoke);
  }

  private void create(RoutingContext ctx) {
    JsonObject body = body(ctx);
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw ApiError.badRequest("unknown field '" + field + "'; a token takes name, role and optionally quotas");
      }
    }
    String name = name(body.getValue("name"));
    Object role = body.getValue("role", Tokens.REQUESTOR);
    if (!List.of(Tokens.ADMIN, Tokens.REQUESTOR).contains(role)) {
      throw ApiError.badRequest("role must be \"admin\" or \"requestor\", got " + role);
    }
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
    String name = name(ctx.pathParam("name"));
    Future<Void> revoked = vertx.eventBus().request(DB_TOKEN_DELETE, new JsonObject().put("name", name)).map(reply -> {
      vertx.eventBus().publish(AUTH_REVOKED, new JsonObject().put("name", name));
      LOG.log(System.Logger.Level.INFO, "token '" + name + "' revoked by '" + Caller.of(ctx).name() + "'");
      return null;
    });
    revoked.onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(err -> HttpReplies.failure(ctx, err));
  }

  private static String name(Object value) {
    if (!(value instanceof String name) || !NAME.matcher(name).matches()) {
      String shown = String.valueOf(value);
      throw ApiError.badRequest("a token's name is 1 to 40 letters, digits, '_', '.' or '-', got "
          + (shown.length() > 60 ? shown.substring(0, 60) + "…" : shown));
    }
    return name;
  }

  static JsonObject body(RoutingContext ctx) {
    String text = ctx.body().asString();
    if (text == null || text.isBlank()) {
      throw ApiError.badRequest("the body is empty; send a JSON object");
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw ApiError.badRequest("the body is not a JSON object");
    }
  }
}

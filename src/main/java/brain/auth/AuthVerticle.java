package brain.auth;

import static brain.bus.Addresses.*;

import brain.bus.Replies;
import brain.config.BrainConfig;
import brain.model.ApiError;
import brain.model.Times;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/**
 * Who holds a token: answers {@link brain.bus.Addresses#AUTH_VERIFY} for the REST API and the
 * bridge, and makes sure an admin token exists at startup. Positive answers are never cached,
 * so a revoked token (through the API or the {@code token} command) fails at its next use; the
 * lookup is one indexed read. {@code last_used_at} is written at most once a minute per token,
 * so a busy client does not turn every request into a database write.
 */
public final class AuthVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(AuthVerticle.class.getName());
  /** The name of the admin token made at first start, or set by {@code BRAIN_ADMIN_TOKEN}. */
  public static final String ADMIN_NAME = "admin";
  private static final long TOUCH_EVERY_MS = 60_000;

  private final Map<String, Long> lastTouched = new HashMap<>();
  private JsonObject defaultQuotas;
  private volatile String createdAdminToken;

  @Override
  public Future<?> start() {
    BrainConfig.Reader conf = new BrainConfig.Reader(config());
    defaultQuotas = conf.object("auth.quotas");
    // Node-local, like the persistence it reads through: every node checks its own callers' tokens.
    return vertx.eventBus().<JsonObject>localConsumer(AUTH_VERIFY, this::verify).completion()
        .compose(v -> ensureAdmin(config().getJsonObject("auth").getString("adminToken", "")));
  }

  /**
   * The admin token made at this start because the database had none (to print once), or null:
   * then it was configured ({@code BRAIN_ADMIN_TOKEN}) or exists already.
   */
  public String createdAdminToken() {
    return createdAdminToken;
  }

  private Future<Void> ensureAdmin(String configured) {
    if (configured != null && !configured.isBlank()) {
      String token = configured.trim();
      if (!Tokens.plausible(token)) {
        return Future.failedFuture(new IllegalArgumentException(
            "BRAIN_ADMIN_TOKEN (auth.adminToken) must be 16 to 200 printable characters without spaces"));
      }
      return putAdmin(token);
    }
    return vertx.eventBus().<JsonObject>request(DB_TOKEN_ADMINS, new JsonObject()).compose(reply -> {
      if (reply.body().getLong("admins") > 0) {
        return Future.succeededFuture();
      }
      // Insert, not overwrite: of nodes starting together on a new database, only the one whose
      // row lands makes (and prints) the admin token; the others find it there.
      String token = Tokens.newToken();
      return vertx.eventBus().request(DB_TOKEN_CREATE, new JsonObject().put("name", ADMIN_NAME).put("role", Tokens.ADMIN)
              .put("hash", Tokens.hash(token)))
          .<Void>mapEmpty()
          .onSuccess(v -> createdAdminToken = token)
          .recover(err -> err instanceof ReplyException r && r.failureCode() == 409 ? adminTaken(token) : Future.failedFuture(err));
    });
  }

  /** A row named admin exists: another node made it, or it is a requestor's, which becomes the admin as before. */
  private Future<Void> adminTaken(String token) {
    return vertx.eventBus().<JsonObject>request(DB_TOKEN_ADMINS, new JsonObject()).compose(reply -> reply.body()
        .getLong("admins") > 0 ? Future.succeededFuture() : putAdmin(token).onSuccess(v -> createdAdminToken = token));
  }

  private Future<Void> putAdmin(String token) {
    return vertx.eventBus().request(DB_TOKEN_PUT, new JsonObject().put("name", ADMIN_NAME).put("role", Tokens.ADMIN)
        .put("hash", Tokens.hash(token))).mapEmpty();
  }

  /** {token} → {name, role, quotas}: quotas are the requestor's effective ones, null for an admin. */
  private void verify(Message<JsonObject> message) {
    String token = message.body() == null ? null : message.body().getString("token");
    if (!Tokens.plausible(token)) {
      Replies.fail(message, new ApiError(401, "unknown or revoked token"));
      return;
    }
    Future<JsonObject> identity = vertx.eventBus().<JsonObject>request(DB_TOKEN_GET,
            new JsonObject().put("hash", Tokens.hash(token)))
        .recover(err -> Future.failedFuture(err instanceof ReplyException reply && reply.failureCode() == 404
            ? new ApiError(401, "unknown or revoked token")
            : new ApiError(503, "tokens cannot be checked right now; try again shortly")))
        .map(reply -> {
          JsonObject row = reply.body();
          touch(row.getString("name"));
          boolean admin = Tokens.ADMIN.equals(row.getString("role"));
          return new JsonObject().put("name", row.getString("name")).put("role", row.getString("role"))
              .put("quotas", admin ? null : Quotas.effective(defaultQuotas, row.getJsonObject("quotas")).toJson());
        });
    Replies.replyWith(message, identity);
  }

  private void touch(String name) {
    long now = System.currentTimeMillis();
    Long last = lastTouched.get(name);
    if (last != null && now - last < TOUCH_EVERY_MS) {
      return;
    }
    lastTouched.put(name, now);
    vertx.eventBus().request(DB_TOKEN_TOUCH, new JsonObject().put("name", name).put("at", Times.now()))
        .onFailure(err -> LOG.log(System.Logger.Level.WARNING, "last use of token '" + name + "' not recorded: "
            + err.getMessage()));
  }
}

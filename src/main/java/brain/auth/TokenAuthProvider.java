package brain.auth;

import static brain.bus.Addresses.AUTH_VERIFY;

import brain.model.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.AuthenticationProvider;
import io.vertx.ext.auth.authentication.Credentials;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.authorization.RoleBasedAuthorization;

/**
 * Vert.x authentication over the token table: a bearer token becomes a {@link User} whose
 * principal is {name, role}, with the role as its {@link RoleBasedAuthorization} (what the
 * router's AuthorizationHandler checks) and the token's effective quotas as an attribute. The
 * lookup itself is {@link AuthVerticle}'s, over the bus, as for the bridge.
 */
public final class TokenAuthProvider implements AuthenticationProvider {
  /** Under which provider id the role is recorded in a user's authorizations. */
  public static final String PROVIDER_ID = "brain-tokens";

  private final Vertx vertx;

  public TokenAuthProvider(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public Future<User> authenticate(Credentials credentials) {
    String token = credentials instanceof TokenCredentials bearer ? bearer.getToken() : null;
    if (!Tokens.plausible(token)) {
      return Future.failedFuture(new ApiError(401, "unknown or revoked token"));
    }
    return vertx.eventBus().<JsonObject>request(AUTH_VERIFY, new JsonObject().put("token", token))
        .recover(err -> Future.failedFuture(err instanceof ReplyException reply && reply.failureCode() == 401
            ? new ApiError(401, "unknown or revoked token")
            : new ApiError(503, "tokens cannot be checked right now; try again shortly")))
        .map(reply -> user(reply.body()));
  }

  /** A user of the given {name, role, quotas}. */
  public static User user(JsonObject identity) {
    String role = identity.getString("role");
    User user = User.create(new JsonObject().put("name", identity.getString("name")).put("role", role),
        new JsonObject().put("quotas", identity.getJsonObject("quotas")));
    user.authorizations().put(PROVIDER_ID, RoleBasedAuthorization.create(role));
    return user;
  }
}

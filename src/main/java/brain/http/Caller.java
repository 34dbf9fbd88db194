package brain.http;

import brain.auth.Tokens;
import brain.model.ApiError;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;

/** Who is calling, as the authentication handler established it: a token's name, role and quotas. */
record Caller(String name, String role, JsonObject quotas) {
  static Caller of(RoutingContext ctx) {
    User user = ctx.user();
    if (user == null) {
      // Only reachable if a route needing a caller were mounted before authentication: a bug, not the client's.
      throw new IllegalStateException("no authenticated user on " + ctx.request().path());
    }
    return new Caller(user.principal().getString("name"), user.principal().getString("role"),
        user.attributes().getJsonObject("quotas"));
  }

  boolean admin() {
    return Tokens.ADMIN.equals(role);
  }

  /**
   * Fails with the same 404 as an unknown id unless this caller may see a job of {@code owner}:
   * a requestor must not learn that another requestor's job exists.
   */
  void mustSee(String jobId, String owner) {
    if (!admin() && !name.equals(owner)) {
      throw ApiError.notFound(JobsApi.noSuchJob(jobId));
    }
  }
}

package brain.http;

import brain.auth.Quotas;
import brain.model.ApiError;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** How the REST API answers: JSON bodies, and {@code {"error": "..."}} with a 4xx/5xx status. */
final class HttpReplies {
  private static final System.Logger LOG = System.getLogger(HttpReplies.class.getName());

  private HttpReplies() {}

  static void json(RoutingContext ctx, int status, Object body) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json; charset=utf-8")
        .end(body instanceof JsonObject json ? json.encode() : io.vertx.core.json.Json.encode(body));
  }

  /** A 401 says how to authenticate; a 429 (a quota) says when to try again. */
  static void error(RoutingContext ctx, int status, String message) {
    if (!ctx.response().ended() && !ctx.response().headWritten()) {
      if (status == 401) {
        ctx.response().putHeader("www-authenticate", "Bearer");
      } else if (status == 429) {
        ctx.response().putHeader("retry-after", String.valueOf(Quotas.retryAfterSeconds(message)));
      }
    }
    json(ctx, status, new JsonObject().put("error", message));
  }

  /** Maps a failure to a status: ApiError and 4xx replies keep theirs; a missing service is 503. */
  static void failure(RoutingContext ctx, Throwable cause) {
    if (cause instanceof ApiError api) {
      error(ctx, api.status(), api.getMessage());
    } else if (cause instanceof ReplyException reply) {
      if (reply.failureType() == ReplyFailure.RECIPIENT_FAILURE && reply.failureCode() >= 400
          && reply.failureCode() < 600) {
        error(ctx, reply.failureCode(), reply.getMessage());
      } else {
        LOG.log(System.Logger.Level.WARNING, "service unavailable for " + ctx.request().path() + ": " + reply.getMessage());
        error(ctx, 503, "the service that answers this is not available right now; try again shortly");
      }
    } else {
      LOG.log(System.Logger.Level.ERROR, "request " + ctx.request().method() + " " + ctx.request().path() + " failed", cause);
      error(ctx, 500, "internal error");
    }
  }

  static <T> void reply(RoutingContext ctx, int status, Future<T> outcome) {
    outcome.onSuccess(body -> json(ctx, status, body)).onFailure(err -> failure(ctx, err));
  }

  /** An optional whole-number query parameter; its bounds are the document's, checked by the router. */
  static int intParam(RoutingContext ctx, String name, int fallback) {
    String value = ctx.request().getParam(name);
    return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
  }
}

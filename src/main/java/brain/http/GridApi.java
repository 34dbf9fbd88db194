package brain.http;

import static brain.bus.Addresses.*;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** The pool, the leaderboard and health. */
final class GridApi {
  private final Vertx vertx;

  GridApi(Vertx vertx) {
    this.vertx = vertx;
  }

  void mount(ApiRoutes router) {
    router.get("/api/workers").handler(this::workers);
    router.get("/api/leaderboard").handler(this::leaderboard);
    router.get("/api/health").handler(this::health);
  }

  private void workers(RoutingContext ctx) {
    HttpReplies.reply(ctx, 200, vertx.eventBus().<JsonObject>request(WORKERS_LIST, new JsonObject()).map(Message::body)
        .recover(err -> Future.failedFuture(err instanceof io.vertx.core.eventbus.ReplyException reply
            && reply.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS
            ? brain.model.ApiError.noScheduler() : err)));
  }

  private void leaderboard(RoutingContext ctx) {
    int limit = HttpReplies.intParam(ctx, "limit", 10);
    HttpReplies.reply(ctx, 200, vertx.eventBus().<JsonArray>request(DB_LEADERBOARD_TOP, new JsonObject().put("limit", limit))
        .map(reply -> new JsonObject().put("leaderboard", reply.body())));
  }

  private void health(RoutingContext ctx) {
    // Bounded: a health check that hangs tells an operator (or a load balancer) nothing.
    HttpReplies.reply(ctx, 200, brain.bus.Nearest.<JsonObject>request(vertx, METRICS_HEALTH, new JsonObject(),
            new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(5000)).map(Message::body)
        .recover(err -> waiting()));
  }

  /** No node answers health (no scheduler yet): 200 all the same, saying so, with the nodes this one knows. */
  private io.vertx.core.Future<JsonObject> waiting() {
    return vertx.eventBus().<JsonObject>request(CLUSTER_NODES, new JsonObject(),
            new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true))
        .map(reply -> brain.metrics.ClusterHealth.waiting(reply.body().getJsonArray("nodes")));
  }
}

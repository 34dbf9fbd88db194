package brain.metrics;

import static brain.bus.Addresses.*;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The dashboards' live feeds and grid health. Answers {@code brain.metrics.health}, and
 * publishes on the outbound-only {@code brain.ui.to.client.*} addresses: health and the worker
 * pool every second, the leaderboard when it changes. (Job changes and timeline events are
 * published by the scheduler as they happen.)
 */
public final class MetricsVerticle extends VerticleBase {
  private static final long PUBLISH_EVERY_MS = 1000;
  private static final int LEADERBOARD_SIZE = 10;
  private final long startedAt = System.currentTimeMillis();
  /**
   * Health answers in seconds, not the bus's 30: right after a node dies (kill -9) the cluster
   * still routes some requests to its consumers until Hazelcast drops it, and those go unanswered.
   */
  private static final io.vertx.core.eventbus.DeliveryOptions ASK = new io.vertx.core.eventbus.DeliveryOptions()
      .setSendTimeout(2000);
  private static final io.vertx.core.eventbus.DeliveryOptions LOCAL = new io.vertx.core.eventbus.DeliveryOptions(ASK)
      .setLocalOnly(true);
  private JsonArray lastLeaderboard;

  @Override
  public Future<?> start() {
    GridMeters meters = GridMeters.of(vertx);
    meters.gauge("brain_scheduler_lease_held", "1 while this node holds the scheduler's lease, else 0",
        io.micrometer.core.instrument.Tags.empty(), () -> brain.election.SchedulerTerm.held(vertx) ? 1 : 0);
    meters.gauge("brain_scheduler_fence", "the fencing number of the lease this node holds, -1 when it holds none",
        io.micrometer.core.instrument.Tags.empty(), () -> brain.election.SchedulerTerm.fence(vertx));
    vertx.setPeriodic(PUBLISH_EVERY_MS, id -> publishFeeds());
    return vertx.eventBus().consumer(METRICS_HEALTH, this::answer).completion();
  }

  private void publishFeeds() {
    // The gauges first: whoever hears a feed can read them already.
    health().onSuccess(GridMeters.of(vertx)::jobs).onSuccess(h -> vertx.eventBus().publish(UI_HEALTH, h)); // GridMeters hook
    ask(WORKERS_LIST).onSuccess(GridMeters.of(vertx)::workers) // GridMeters hook
        .onSuccess(workers -> vertx.eventBus().publish(UI_WORKERS, workers));
    vertx.eventBus().<JsonArray>request(DB_LEADERBOARD_TOP, new JsonObject().put("limit", LEADERBOARD_SIZE))
        .onSuccess(reply -> {
          if (!reply.body().equals(lastLeaderboard)) {
            lastLeaderboard = reply.body();
            vertx.eventBus().publish(UI_LEADERBOARD, new JsonObject().put("leaderboard", lastLeaderboard));
          }
        });
  }

  private void answer(Message<Object> message) {
    health().onSuccess(message::reply).onFailure(err -> message.fail(503, "health is unavailable: " + err.getMessage()));
  }

  /** Each source answers what it knows; a missing one shows as unavailable rather than failing all. */
  private Future<JsonObject> health() {
    Future<JsonObject> scheduler = ask(SCHEDULER_STATS);
    Future<JsonObject> database = ask(DB_STATS);
    // This node's bridge (the directory sums all nodes'), the node list and the lease row: all local.
    Future<JsonObject> bridge = ask(BRIDGE_STATS, LOCAL);
    Future<JsonObject> cluster = ask(CLUSTER_NODES, LOCAL);
    Future<JsonObject> lease = ask(DB_LEASE_GET, LOCAL);
    return Future.join(java.util.List.of(scheduler, database, bridge, cluster, lease)).transform(ignored -> {
      JsonObject s = scheduler.succeeded() ? scheduler.result() : new JsonObject();
      JsonObject db = database.succeeded() ? database.result() : new JsonObject();
      JsonObject health = new JsonObject()
          .put("status", scheduler.succeeded() && database.succeeded() && bridge.succeeded() ? "up" : "degraded")
          .put("activeWorkers", s.getInteger("activeWorkers", 0))
          .put("busyWorkers", s.getLong("busyWorkers", 0L))
          .put("jobsInQueue", s.getInteger("jobsQueued", 0))
          .put("jobsRunning", s.getInteger("jobsRunning", 0))
          .put("jobsCompleted", db.getLong("completed", 0L))
          .put("jobsFailed", db.getLong("failed", 0L))
          .put("jobsCancelled", db.getLong("cancelled", 0L))
          .put("avgResponseTimeMs", s.getDouble("avgResponseTimeMs", 0.0))
          .put("database", database.succeeded() ? "up" : "unavailable")
          .put("databaseWrites", db.getLong("writes", 0L))
          .put("bridge", bridge.succeeded()
              ? new JsonObject().put("status", "up").put("openSockets", bridge.result().getInteger("openSockets"))
              : new JsonObject().put("status", "unavailable"))
          .put("scheduler", lease.succeeded() ? schedulerLease(lease.result()) : null)
          .put("uptimeMs", System.currentTimeMillis() - startedAt);
      if (cluster.succeeded()) {
        ClusterHealth.add(health, cluster.result().getJsonArray("nodes"));
      }
      return Future.succeededFuture(health);
    });
  }

  /** Who holds the scheduler's lease, with which fence, for how long, and how much of it is left. */
  private static JsonObject schedulerLease(JsonObject row) {
    return new JsonObject().put("holder", row.getString("holder")).put("fence", row.getLong("fence"))
        .put("leaseMs", row.getLong("leaseMs")).put("expiresInMs", row.getLong("expiresInMs"));
  }

  private Future<JsonObject> ask(String address) {
    return ask(address, ASK);
  }

  private Future<JsonObject> ask(String address, io.vertx.core.eventbus.DeliveryOptions options) {
    return vertx.eventBus().<JsonObject>request(address, new JsonObject(), options).map(Message::body);
  }
}

package brain.scheduler;

import static brain.bus.Addresses.*;

import brain.bus.Replies;
import brain.model.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Chunk scheduling on the event bus: wires the {@link Scheduler} to its addresses and timers,
 * and picks up jobs left unfinished by the last run.
 */
public final class SchedulerVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(SchedulerVerticle.class.getName());
  private static final long TIMELINE_FLUSH_MS = 200;
  private static final long LEASE_CHECK_MS = 500;

  private Scheduler scheduler;
  private SchedulerSettings settings;
  private WorkerExecutor compute;

  @Override
  public Future<?> start() {
    settings = SchedulerSettings.from(config());
    // Heavy work gets threads of its own: the scheduler's single thread must stay free to dispatch.
    compute = vertx.createSharedWorkerExecutor("brain-compute", Runtime.getRuntime().availableProcessors());
    scheduler = new Scheduler(vertx, settings, compute);
    List<Future<?>> ready = List.of(
        reply(JOBS_ENQUEUE, m -> {
          scheduler.enqueue(json(m));
          return new JsonObject().put("accepted", true);
        }),
        reply(JOBS_VIEW, m -> found(scheduler.view(id(m)), m)),
        reply(JOBS_TIMELINE, m -> found(scheduler.timeline(id(m)), m)),
        reply(JOBS_CANCEL, m -> found(scheduler.cancel(id(m)), m)),
        reply(SCHEDULER_STATS, m -> scheduler.stats()),
        vertx.eventBus().consumer(WORKER_REGISTER, this::register).completion(),
        consume(WORKER_RESULT, m -> scheduler.onResult(m.headers().get(HEADER_PEER), m.body())),
        consume(WORKER_FAILURE, m -> scheduler.onFailure(m.headers().get(HEADER_PEER), m.body())),
        consume(PEER_LISTENING, m -> scheduler.peerListening(json(m).getString("peerId"))),
        consume(WORKERS_LOST, m -> scheduler.workerLost(json(m).getString("sessionId"), json(m).getString("reason"))),
        vertx.eventBus().consumer(WORKERS_LIST, this::listWorkers).completion());
    vertx.setPeriodic(LEASE_CHECK_MS, id -> scheduler.expireLeases());
    vertx.setPeriodic(settings.creditFlushMs(), id -> scheduler.flushJoins());
    vertx.setPeriodic(TIMELINE_FLUSH_MS, id -> scheduler.flushTimeline());
    return Future.all(ready)
        .compose(v -> vertx.eventBus().<JsonArray>request(DB_JOB_UNFINISHED, new JsonObject()))
        .onSuccess(unfinished -> scheduler.recover(unfinished.body()));
  }

  @Override
  public Future<?> stop() {
    return scheduler.flushJoins().eventually(() -> compute.close());
  }

  /**
   * A registration. On a private grid a worker may present a requestor's or admin's token
   * ({@code worker --token}) instead of the worker key: that is checked first, off this handler.
   */
  private void register(Message<Object> message) {
    String peer = message.headers().get(HEADER_PEER);
    String remote = message.headers().get(HEADER_REMOTE);
    Object token = message.body() instanceof JsonObject body ? body.getValue("token") : null;
    Future<Boolean> signedIn = !settings.privateGrid() || !(token instanceof String text)
        ? Future.succeededFuture(false)
        : vertx.eventBus().request(AUTH_VERIFY, new JsonObject().put("token", text)).map(ok -> true).otherwise(false);
    signedIn.onComplete(ar -> {
      try {
        message.reply(brain.cluster.NodeDirectory.withNodes(vertx, scheduler.register(peer, remote, message.body(), ar.result())));
      } catch (RuntimeException e) {
        Replies.fail(message, e);
      }
    });
  }

  private void listWorkers(Message<Object> message) {
    vertx.eventBus().<JsonObject>request(HEARTBEAT_LAST_SEEN, new JsonObject()).onComplete(ar -> {
      Map<String, Long> lastSeen = new HashMap<>();
      if (ar.succeeded()) {
        ar.result().body().forEach(e -> lastSeen.put(e.getKey(), ((Number) e.getValue()).longValue()));
      }
      message.reply(new JsonObject().put("workers", scheduler.workers(lastSeen)));
    });
  }

  private static JsonObject json(Message<Object> message) {
    return Inbound.object(message.body());
  }

  private static String id(Message<Object> message) {
    return json(message).getString("id");
  }

  private static <T> T found(T value, Message<Object> message) {
    if (value == null) {
      throw ApiError.notFound("the scheduler holds no job " + id(message));
    }
    return value;
  }

  /** A request handler: its value is the reply, an ApiError its failure. */
  private Future<Void> reply(String address, Function<Message<Object>, Object> handler) {
    return vertx.eventBus().consumer(address, (Message<Object> message) -> {
      try {
        message.reply(handler.apply(message));
      } catch (RuntimeException e) {
        Replies.fail(message, e);
      }
    }).completion();
  }

  /**
   * A one-way handler. What untrusted peers send can be malformed: it is logged and dropped,
   * never allowed to throw on the event loop.
   */
  private Future<Void> consume(String address, Handler<Message<Object>> handler) {
    return vertx.eventBus().consumer(address, (Message<Object> message) -> {
      try {
        handler.handle(message);
      } catch (ApiError e) {
        LOG.log(System.Logger.Level.DEBUG, "dropped a message on " + address + ": " + e.getMessage());
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "failed to handle a message on " + address, e);
      }
    }).completion();
  }
}

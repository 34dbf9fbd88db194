package brain.scheduler;

import static brain.bus.Addresses.*;

import brain.bus.Replies;
import brain.cluster.NodeId;
import brain.config.BrainConfig;
import brain.election.Elector;
import brain.election.SchedulerTerm;
import brain.model.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Chunk scheduling on the event bus. Every node runs this verticle and campaigns for the
 * scheduler's lease ({@link Elector}); only the elected one is active: it registers the
 * scheduler's addresses and timers, takes over the unfinished jobs (resuming them from their
 * checkpoints) and announces itself, so that workers on every node re-register with it. When its
 * term ends (the lease lost, its own clock says it may have run out, a write refused for its
 * fence, or the node stopping) it unregisters and drops the term's state.
 */
public final class SchedulerVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(SchedulerVerticle.class.getName());
  private static final long TIMELINE_FLUSH_MS = 200;
  private static final long LEASE_CHECK_MS = 500;

  private Scheduler scheduler;
  private SchedulerSettings settings;
  private WorkerExecutor compute;
  private Elector elector;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final List<Long> timers = new ArrayList<>();
  /** How often the active scheduler looks for unfinished jobs it does not hold. */
  private long adoptEveryMs;

  @Override
  public Future<?> start() {
    settings = SchedulerSettings.from(config());
    BrainConfig.Reader conf = new BrainConfig.Reader(config());
    // Heavy work gets threads of its own: the scheduler's single thread must stay free to dispatch.
    compute = vertx.createSharedWorkerExecutor("brain-compute", Runtime.getRuntime().availableProcessors());
    elector = new Elector(vertx, NodeId.of(vertx), conf.longValue("cluster.schedulerLeaseMs"),
        conf.longValue("cluster.schedulerRenewMs"), new Elector.Listener() {
          @Override
          public void elected(long fence) {
            SchedulerTerm.began(vertx, fence);
            activate(fence).onComplete(ar -> firstTerm.tryComplete());
          }

          @Override
          public void deposed(long fence, String why) {
            SchedulerTerm.ended(vertx);
            deactivate();
          }
        });
    // Ready once this node is the scheduler and has taken over, or knows another one is. A
    // single node restarted after kill -9 waits for its own old lease to run out (at most a
    // lease), so that its port opens with a scheduler behind it.
    long leaseMs = conf.longValue("cluster.schedulerLeaseMs");
    adoptEveryMs = leaseMs;
    long wait = NodeId.LOCAL.equals(NodeId.of(vertx)) ? leaseMs + 2 * conf.longValue("cluster.schedulerRenewMs") : 0;
    elector.start().onSuccess(held -> {
      if (!held) {
        vertx.setTimer(Math.max(1, wait), id -> firstTerm.tryComplete());
      }
    });
    return firstTerm.future();
  }

  private final io.vertx.core.Promise<Void> firstTerm = io.vertx.core.Promise.promise();

  @Override
  public Future<?> stop() {
    Future<Void> flushed = scheduler == null ? Future.succeededFuture() : scheduler.flushJoins();
    return flushed.eventually(() -> elector.stop()).eventually(() -> {
      SchedulerTerm.ended(vertx);
      return Future.succeededFuture();
    }).eventually(() -> compute.close());
  }

  /** This node was elected with {@code fence}: a fresh term takes over the unfinished jobs. */
  private Future<Void> activate(long fence) {
    String node = NodeId.of(vertx);
    // A refusal steps down only the term it was for: this node may hold a newer one by then.
    Term term = new Term(fence, node, () -> elector.fence() == fence, () -> {
      if (elector.fence() == fence) {
        elector.stepDown("a write was refused for fence " + fence + ": another scheduler holds the lease");
      }
    });
    Scheduler current = new Scheduler(vertx, settings, compute, term);
    scheduler = current;
    List<Future<?>> ready = List.of(
        reply(JOBS_ENQUEUE, m -> {
          current.enqueue(json(m));
          return new JsonObject().put("accepted", true);
        }),
        reply(JOBS_VIEW, m -> found(current.view(id(m)), m)),
        reply(JOBS_TIMELINE, m -> found(current.timeline(id(m)), m)),
        reply(JOBS_CANCEL, m -> found(current.cancel(id(m)), m)),
        reply(SCHEDULER_STATS, m -> current.stats()),
        track(vertx.eventBus().consumer(WORKER_REGISTER, (Message<Object> m) -> register(current, m))),
        reply(DATA_FETCH, m -> current.data.fetch(json(m))),
        reply(DATA_UPLOAD_CHECK, m -> current.data.uploadCheck(json(m))),
        reply(DATA_UPLOAD, m -> current.data.upload(new JsonObject().put("c", m.headers().get("c"))
            .put("assignmentId", m.headers().get("assignmentId"))
            .put("job", m.headers().get("job").isEmpty() ? null : m.headers().get("job"))
            .put("chunk", m.headers().get("chunk").isEmpty() ? null : Integer.valueOf(m.headers().get("chunk")))
            .put("computeMs", Double.parseDouble(m.headers().get("computeMs")))
            .put("waitMs", Double.parseDouble(m.headers().get("waitMs")))
            .put("unchecked", "true".equals(m.headers().get("unchecked"))), (io.vertx.core.buffer.Buffer) m.body())),
        consume(WORKER_RESULT, m -> current.onResult(m.headers().get(HEADER_PEER), m.body())),
        consume(WORKER_FAILURE, m -> current.onFailure(m.headers().get(HEADER_PEER), m.body())),
        consume(PEER_LISTENING, m -> current.peerListening(json(m).getString("peerId"))),
        consume(WORKERS_LOST, m -> current.workerLost(json(m).getString("sessionId"), json(m).getString("reason"))),
        track(vertx.eventBus().localConsumer(CLUSTER_NODE_LEFT, (Message<Object> m) -> current.nodeLeft(json(m)
            .getString("nodeId")))),
        track(vertx.eventBus().consumer(WORKERS_LIST, (Message<Object> m) -> listWorkers(current, m))));
    timers.add(vertx.setPeriodic(LEASE_CHECK_MS, id -> current.expireLeases()));
    timers.add(vertx.setPeriodic(settings.creditFlushMs(), id -> current.flushJoins()));
    timers.add(vertx.setPeriodic(TIMELINE_FLUSH_MS, id -> current.flushTimeline()));
    timers.add(vertx.setPeriodic(adoptEveryMs, id -> vertx.eventBus().<JsonArray>request(DB_JOB_UNFINISHED, new JsonObject())
        .onSuccess(unfinished -> {
          if (scheduler == current && elector.mayAct()) {
            current.recover(unfinished.body());
          }
        })));
    return Future.all(ready)
        .compose(v -> vertx.eventBus().<JsonArray>request(DB_JOB_UNFINISHED, new JsonObject()))
        .onSuccess(unfinished -> {
          if (scheduler == current) {
            current.recover(unfinished.body());
            JsonObject announce = new JsonObject().put("nodeId", node).put("fence", fence);
            vertx.eventBus().publish(SCHEDULER_ANNOUNCE, announce);
            vertx.eventBus().publish(WORKER_ANNOUNCE, announce);
          }
        })
        .onFailure(err -> {
          LOG.log(System.Logger.Level.ERROR, "could not take over as scheduler: " + err.getMessage());
          elector.stepDown("could not take over: " + err.getMessage());
        }).mapEmpty();
  }

  /** The term ended: nothing of it answers or acts any more; its state goes (the next scheduler recovers from the database). */
  private void deactivate() {
    consumers.forEach(MessageConsumer::unregister);
    consumers.clear();
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    scheduler = null;
  }

  /**
   * A registration. On a private grid a worker may present a requestor's or admin's token
   * ({@code worker --token}) instead of the worker key: that is checked first, off this handler.
   */
  private void register(Scheduler current, Message<Object> message) {
    String peer = message.headers().get(HEADER_PEER);
    String remote = message.headers().get(HEADER_REMOTE);
    Object token = message.body() instanceof JsonObject body ? body.getValue("token") : null;
    Future<Boolean> signedIn = !settings.privateGrid() || !(token instanceof String text)
        ? Future.succeededFuture(false)
        : vertx.eventBus().request(AUTH_VERIFY, new JsonObject().put("token", text)).map(ok -> true).otherwise(false);
    signedIn.onComplete(ar -> {
      try {
        message.reply(brain.cluster.NodeDirectory.withNodes(vertx,
            current.register(peer, remote, message.headers().get(HEADER_NODE), message.body(), ar.result())));
      } catch (RuntimeException e) {
        Replies.fail(message, e);
      }
    });
  }

  private void listWorkers(Scheduler current, Message<Object> message) {
    vertx.eventBus().<JsonObject>request(HEARTBEAT_LAST_SEEN, new JsonObject()).onComplete(ar -> {
      Map<String, Long> lastSeen = new HashMap<>();
      if (ar.succeeded()) {
        ar.result().body().forEach(e -> lastSeen.put(e.getKey(), ((Number) e.getValue()).longValue()));
      }
      message.reply(new JsonObject().put("workers", current.workers(lastSeen)));
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
    return track(vertx.eventBus().consumer(address, (Message<Object> message) -> {
      try {
        Object answer = handler.apply(message);
        if (answer instanceof Future<?> later) { // an answer that waits for a write (cancel)
          later.onSuccess(message::reply).onFailure(err -> Replies.fail(message, err));
        } else {
          message.reply(answer);
        }
      } catch (RuntimeException e) {
        Replies.fail(message, e);
      }
    }));
  }

  private Future<Void> track(MessageConsumer<?> consumer) {
    consumers.add(consumer);
    return consumer.completion();
  }

  /**
   * A one-way handler. What untrusted peers send can be malformed: it is logged and dropped,
   * never allowed to throw on the event loop.
   */
  private Future<Void> consume(String address, Handler<Message<Object>> handler) {
    return track(vertx.eventBus().consumer(address, (Message<Object> message) -> {
      if (!elector.mayAct()) {
        return; // its lease may have run out: results are not this node's to accept any more
      }
      try {
        handler.handle(message);
      } catch (ApiError e) {
        LOG.log(System.Logger.Level.DEBUG, "dropped a message on " + address + ": " + e.getMessage());
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "failed to handle a message on " + address, e);
      }
    }));
  }
}

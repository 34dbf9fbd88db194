package brain.worker;

import static brain.bus.Addresses.*;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * A headless worker's session with the grid: connects to a node over the SockJS bridge,
 * registers, heart-beats, registers again when a new scheduler announces itself, and after a
 * close follows the nodes (the one a stopping node named, else the next known one after a
 * backoff). Confined to the worker's event loop.
 */
final class WorkerLink {
  private static final System.Logger LOG = System.getLogger(WorkerLink.class.getName());
  /** The most item ids a registration lists as held. */
  private static final int MAX_HOLDS = 256;

  private final Vertx vertx;
  private final WebSocketClient sockets;
  private final HeadlessWorker.Options options;
  private final NodeTargets targets;
  private final DataCache cache;
  /** Messages to this worker's private address. */
  private final Consumer<JsonObject> onMessage;
  /** The session ended (closed, or replaced by a new scheduler's): drop what it was given. */
  private final Runnable onReset;
  /** Chunks queued, for the heartbeat. */
  private final IntSupplier busy;
  private final Promise<Void> firstJoin = Promise.promise();
  private BridgeClient client;
  private String sessionId;
  private String address;
  private long heartbeatTimer = -1;
  private long backoffMs = 500;
  private static final long REGISTER_TIMEOUT_MS = 5_000;
  /** The socket this worker last registered on (null before the first registration). */
  private BridgeClient registeredOn;
  private volatile boolean connected;
  private volatile long sessions;
  private boolean stopped;
  private boolean frozen;
  /** A stopping node asked us to move: reconnect at once, to the node it named. */
  private boolean moving;
  private JsonObject lastRegistration;
  private BridgeClient announcedOn;

  WorkerLink(Vertx vertx, WebSocketClient sockets, HeadlessWorker.Options options, NodeTargets targets,
      DataCache cache, Consumer<JsonObject> onMessage, Runnable onReset, IntSupplier busy) {
    this.vertx = vertx;
    this.sockets = sockets;
    this.options = options;
    this.targets = targets;
    this.cache = cache;
    this.onMessage = onMessage;
    this.onReset = onReset;
    this.busy = busy;
  }

  /** Joins; completes once the server may dispatch to this worker (fails if refused and not reconnecting). */
  Future<Void> start() {
    join();
    return firstJoin.future();
  }

  private void join() {
    NodeTargets.Target target = targets.current();
    BridgeClient.connect(vertx, sockets, target.host(), target.port(), target.tls())
        .compose(connected -> {
          client = connected;
          client.closeHandler(v -> onClosed());
          // Before registering: a scheduler elected while this registration is under way (its
          // announcement) is then heard, and answered by registering with it.
          listenForScheduler();
          JsonObject registration = new JsonObject()
              .put("protocol", HeadlessWorker.PROTOCOL)
              .put("holds", new JsonArray(cache.ids(MAX_HOLDS)))
              .put("workerId", options.workerId())
              .put("name", options.name())
              .put("engine", options.engine().kind())
              .put("adapter", options.engine().description())
              .put("slots", options.slots());
          if (options.memoryBytes() > 0) {
            registration.put("memoryBytes", options.memoryBytes());
          }
          if (options.key() != null) {
            registration.put("key", options.key());
          }
          if (options.token() != null) {
            registration.put("token", options.token());
          }
          lastRegistration = registration;
          return registerWithin(connected, registration);
        })
        .onSuccess(reply -> {
          if (registeredOn != client) { // not already registered through an announcement meanwhile
            registered(reply);
          }
        })
        .onFailure(err -> {
          if (client != null && registeredOn == client) {
            return; // registered with a newly elected scheduler meanwhile: this socket is in use
          }
          // A refusal by the grid (private, throttled, full) is for the person running the worker to read.
          boolean refused = err instanceof ReplyException reply && reply.failureCode() >= 400;
          LOG.log(refused ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
              options.name() + " could not join: " + err.getMessage());
          if (client != null) {
            client.close();
          }
          if (!options.reconnect()) {
            firstJoin.tryFail(err);
          } else if (client == null) {
            targets.next();
            retryLater();
          }
        });
  }

  /**
   * A registration answered within {@value #REGISTER_TIMEOUT_MS} ms, or failed: one sent while the
   * scheduler is changing (its node stopping or dead) may never be answered, and the bridge would
   * wait 30 s; failed, the socket is closed and the worker joins again after its backoff.
   */
  private Future<JsonObject> registerWithin(BridgeClient on, JsonObject registration) {
    io.vertx.core.Promise<JsonObject> answer = io.vertx.core.Promise.promise();
    long timer = vertx.setTimer(REGISTER_TIMEOUT_MS, id -> answer.tryFail(
        "no answer to the registration within " + REGISTER_TIMEOUT_MS + " ms (a scheduler is being elected?)"));
    on.request(WORKER_REGISTER, registration).onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        answer.tryComplete(ar.result());
      } else {
        answer.tryFail(ar.cause());
      }
    });
    return answer.future();
  }

  private void registered(JsonObject reply) {
    registeredOn = client;
    sessionId = reply.getString("sessionId");
    address = reply.getString("address");
    sessions++;
    connected = true;
    targets.learn(reply.getJsonArray("nodes"));
    backoffMs = 500;
    client.register(address, onMessage::accept);
    listenForScheduler();
    long interval = reply.getLong("heartbeatIntervalMs", 2000L);
    heartbeatTimer = vertx.setPeriodic(interval, id -> heartbeat());
    // The server dispatches once the bridge reports the handler live; a heartbeat round trip
    // after the register frame proves the frame was processed (frames are handled in order).
    client.request(WORKER_HEARTBEAT, new JsonObject().put("sessionId", sessionId))
        .onComplete(ar -> firstJoin.tryComplete());
  }

  /** Once per socket: a newly elected scheduler's announcement makes this worker register again. */
  private void listenForScheduler() {
    if (announcedOn != client) {
      announcedOn = client;
      client.register(WORKER_ANNOUNCE, announce -> reRegister());
    }
  }

  /**
   * A new scheduler was elected (failover): registers again on the same socket, with the same
   * identity. The new scheduler answers with a new session: the old one's work is dropped and the
   * private handler registered afresh, which tells the new scheduler it is live.
   */
  private void reRegister() {
    BridgeClient current = client;
    if (current == null || lastRegistration == null || frozen) {
      return;
    }
    current.request(WORKER_REGISTER, lastRegistration).onSuccess(reply -> {
      if (client != current || reply.getString("sessionId", "").equals(sessionId)) {
        return; // the same scheduler, or the socket is gone meanwhile
      }
      vertx.cancelTimer(heartbeatTimer);
      onReset.run();
      if (registeredOn == current) {
        current.unregister(address); // this socket's old private address (not one of a socket before it)
      }
      registered(reply);
    }).onFailure(err -> LOG.log(System.Logger.Level.DEBUG, options.name() + " could not register with the new scheduler: "
        + err.getMessage()));
  }

  /** Registers again on the same socket, listing what the cache holds (the server keeps the session). */
  void reportHolds() {
    if (client == null || lastRegistration == null) {
      return;
    }
    lastRegistration.put("holds", new JsonArray(cache.ids(MAX_HOLDS)));
    client.request(WORKER_REGISTER, lastRegistration).onFailure(err -> LOG.log(System.Logger.Level.DEBUG,
        options.name() + " could not report its cache: " + err.getMessage()));
  }

  private void heartbeat() {
    if (frozen || client == null) {
      return;
    }
    String beating = sessionId;
    client.request(WORKER_HEARTBEAT, new JsonObject().put("sessionId", sessionId).put("busy", busy.getAsInt()))
        .onFailure(err -> {
          // The server no longer knows this session: start afresh (unless it was replaced meanwhile, by
          // registering with a new scheduler).
          if (err instanceof ReplyException reply && reply.failureCode() == 404 && beating.equals(sessionId)
              && client != null) {
            client.close();
          }
        });
  }

  private void onClosed() {
    connected = false;
    vertx.cancelTimer(heartbeatTimer);
    onReset.run();
    client = null;
    if (!stopped && options.reconnect()) {
      follow();
    }
  }

  /** After a close: at once to the node a stopping one named, else the next known node after a backoff. */
  private void follow() {
    if (moving) {
      moving = false;
      join();
    } else {
      targets.next();
      retryLater();
    }
  }

  /** {type: "move", nodes}: this node is stopping; leave it for the first of {@code nodes}. */
  void move(JsonObject message) {
    NodeTargets.Target to = targets.moveTo(message.getJsonArray("nodes"));
    LOG.log(System.Logger.Level.INFO, options.name() + " moves to " + to + ": its node is stopping");
    moving = true;
    if (client != null) {
      client.close();
    }
  }

  private void retryLater() {
    long delay = (long) (backoffMs * (0.75 + Math.random() * 0.5));
    backoffMs = Math.min(10_000, backoffMs * 2);
    vertx.setTimer(delay, id -> {
      if (!stopped) {
        join();
      }
    });
  }

  /** Stops heart-beating and answering announcements with the socket left open (a frozen tab). */
  void freeze() {
    frozen = true;
  }

  /** Closes the socket for good (no reconnect). */
  Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(heartbeatTimer);
    return client == null ? Future.succeededFuture() : client.close();
  }

  /** Closes the socket; with reconnect on, the worker comes back as a new session. */
  Future<Void> drop() {
    return client == null ? Future.succeededFuture() : client.close();
  }

  /** Sends to the server on the current socket, if any. */
  void send(String to, JsonObject message) {
    if (client != null) {
      client.send(to, message);
    }
  }

  BridgeClient client() {
    return client;
  }

  String sessionId() {
    return sessionId;
  }

  String address() {
    return address;
  }

  boolean connected() {
    return connected;
  }

  long sessions() {
    return sessions;
  }

  boolean frozen() {
    return frozen;
  }
}

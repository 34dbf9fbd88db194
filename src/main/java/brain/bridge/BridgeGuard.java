package brain.bridge;

import static brain.bus.Addresses.*;

import brain.bus.JsonLength;
import brain.config.BrainConfig;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The trust boundary between the event bus and untrusted browsers.
 *
 * <ul>
 *   <li>Peers may send only to the four worker inbound addresses, and never publish.
 *   <li>Every socket gets a random peer id; every inbound message is stamped with it in the
 *       {@code peer} header (whatever headers the client sent are dropped), so the server
 *       knows which socket a message came from and a message naming another socket's session
 *       is refused there.
 *   <li>A worker's private address ends with its socket's peer id: only that socket may
 *       register it. Dashboards may register the {@code brain.ui.to.client.*} feeds, which are
 *       outbound only.
 *   <li>Every socket has a budget of messages and bytes per second ({@link BridgeLimits}); a
 *       socket that exceeds it is closed, as is a socket whose stream fails (a message over the
 *       size limit, however fragmented). One remote address may hold only so many sockets.
 * </ul>
 */
public final class BridgeGuard implements Handler<BridgeEvent> {
  private static final System.Logger LOG = System.getLogger(BridgeGuard.class.getName());
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Vertx vertx;
  private final brain.metrics.GridMeters meters;
  private final Map<SockJSSocket, PeerState> peers = new ConcurrentHashMap<>();
  private final Map<String, SockJSSocket> sockets = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicBoolean controlClaimed = new java.util.concurrent.atomic.AtomicBoolean();

  private volatile BridgeLimits limits;
  private final AddressQuota quota;
  private final DashboardAuth dashboards;
  private final String nodeId;
  /** Peers whose private handler is live: this node's workers (dashboards hold sockets too). */
  private final java.util.Set<String> workers = ConcurrentHashMap.newKeySet();
  private volatile boolean draining;
  private volatile io.vertx.core.Promise<Void> workersGone;

  public BridgeGuard(Vertx vertx) {
    this.vertx = vertx;
    this.meters = brain.metrics.GridMeters.of(vertx);
    this.dashboards = new DashboardAuth(vertx);
    this.limits = BridgeLimits.from(new BrainConfig.Reader(BrainConfig.defaults()));
    this.quota = new AddressQuota(limits.maxSocketsPerAddress());
    this.nodeId = brain.cluster.NodeId.of(vertx);
  }

  /** Applies the configured limits; sockets opened from now on get budgets of this size. */
  public void configure(BridgeLimits limits) {
    this.limits = limits;
    quota.max(limits.maxSocketsPerAddress());
  }

  /**
   * True for the first caller only: the HTTP instance that answers the guard's own addresses.
   * That one also listens for revoked tokens and re-checks signed-in dashboards periodically.
   */
  public boolean claimControl() {
    if (!controlClaimed.compareAndSet(false, true)) {
      return false;
    }
    vertx.eventBus().<JsonObject>consumer(AUTH_REVOKED, m -> dashboards.revoked(peers, m.body().getString("name")));
    vertx.setPeriodic(DashboardAuth.RECHECK_MS, id -> dashboards.recheck(peers));
    return true;
  }

  /** Closes the socket of a peer (a worker declared lost while its socket stayed open). */
  public void disconnect(String peerId) {
    SockJSSocket socket = peerId == null ? null : sockets.get(peerId);
    if (socket != null) {
      socket.close();
    }
  }

  public int openSockets() {
    return sockets.size();
  }

  /** Workers connected here: sockets whose private handler is registered. */
  public int workers() {
    return workers.size();
  }

  /**
   * The node is stopping: new sockets are refused from now on, and each worker here is told to
   * move to {@code nodes} (a "move" message on its private address). Completes when the last
   * worker's socket has closed.
   */
  public io.vertx.core.Future<Void> drain(io.vertx.core.json.JsonArray nodes) {
    draining = true;
    io.vertx.core.Promise<Void> gone = io.vertx.core.Promise.promise();
    workersGone = gone;
    JsonObject move = new JsonObject().put("type", "move").put("nodes", nodes);
    workers.forEach(peerId -> vertx.eventBus().send(workerPrivate(peerId), move));
    if (workers.isEmpty()) {
      gone.tryComplete();
    }
    return gone.future();
  }

  @Override
  public void handle(BridgeEvent event) {
    long size = countBytes(event); // GridMeters hook
    SockJSSocket socket = event.socket();
    switch (event.type()) {
      case SOCKET_CREATED -> {
        PeerState admitted = draining ? null : admit(socket);
        if (admitted != null) {
          dashboards.signIn(socket, admitted);
        }
        event.complete(admitted != null);
      }
      case SOCKET_CLOSED -> {
        PeerState peer = peers.remove(socket);
        if (peer != null) {
          sockets.remove(peer.peerId);
          quota.release(peer.remoteHost);
          if (workers.remove(peer.peerId) && workers.isEmpty() && workersGone != null) {
            workersGone.tryComplete();
          }
          vertx.eventBus().publish(PEER_CLOSED, new JsonObject().put("peerId", peer.peerId));
        }
        event.complete(true);
      }
      case SOCKET_ERROR -> {
        // The bridge has already dropped the socket's state (handlers, ping timer) but leaves
        // it open: a message over maxWebSocketMessageSize sent as fragments ends up here, and
        // would otherwise keep an idle, unwatched socket forever. Close it.
        // (Vert.x has logged the cause already; a connection reset ends up here too.)
        PeerState peer = peers.get(socket);
        LOG.log(System.Logger.Level.DEBUG, "closing the socket of peer " + (peer == null ? "?" : peer.peerId)
            + " after a stream error: " + (event.getRawMessage() == null ? "" : event.getRawMessage().getString("message")));
        socket.close();
        event.complete(true);
      }
      // Every frame a peer sends is charged to its budgets before anything else looks at it.
      case SEND -> event.complete(withinBudget(event, socket, size) && stampSender(event, socket));
      case PUBLISH -> {
        withinBudget(event, socket, size); // charged like any frame, then refused: publish is never open
        event.complete(false);
      }
      case REGISTER -> {
        if (!withinBudget(event, socket, size)) {
          event.complete(false);
        } else if (DashboardAuth.isPrivateFeed(address(event))) {
          // Job details only for signed-in dashboards: wait for the handshake's sign-in to settle.
          PeerState peer = peers.get(socket);
          if (peer == null) {
            event.complete(false);
          } else {
            peer.signedIn.onComplete(done -> event.complete(peer.user != null));
          }
        } else {
          event.complete(mayRegister(event.getRawMessage(), socket));
        }
      }
      case UNREGISTER, SOCKET_PING -> event.complete(withinBudget(event, socket, size));
      case RECEIVE -> {
        earnAnswer(event.getRawMessage(), socket);
        event.complete(!DashboardAuth.isPrivateFeed(address(event)) || mayReceivePrivate(event, socket));
      }
      case REGISTERED -> {
        announceListening(event.getRawMessage(), socket);
        event.complete(true);
      }
      default -> event.complete(true);
    }
  }

  /**
   * A frame's bytes, measured once: for GET /metrics (what peers send, counted before any
   * refusal, and what they are sent) and for the sender's byte budget. 0 for frames without a body.
   */
  private long countBytes(BridgeEvent event) {
    JsonObject raw = event.getRawMessage();
    switch (event.type()) {
      case SEND, PUBLISH, REGISTER, UNREGISTER -> {
        long size = raw == null ? 0 : JsonLength.of(raw);
        meters.socketBytes(false, size);
        return size;
      }
      case RECEIVE -> {
        long size = raw == null ? 0 : JsonLength.of(raw);
        meters.socketBytes(true, size);
        return size;
      }
      default -> {
        return 0;
      }
    }
  }

  /** A new socket gets a peer id and budgets, unless its address already holds its share of sockets (null). */
  private PeerState admit(SockJSSocket socket) {
    String host = remoteHost(socket);
    if (!quota.tryAcquire(host)) {
      LOG.log(System.Logger.Level.INFO, "refused a socket from " + host + ": it already holds "
          + limits.maxSocketsPerAddress() + " (bridge.maxSocketsPerAddress)");
      return null;
    }
    PeerState peer = new PeerState(newPeerId(), host, limits);
    peers.put(socket, peer);
    sockets.put(peer.peerId, socket);
    return peer;
  }

  private static String remoteHost(SockJSSocket socket) {
    io.vertx.core.net.SocketAddress address = socket.remoteAddress();
    String host = address == null ? null : address.hostAddress();
    return host == null ? "unknown" : host;
  }

  /** Charges the frame to its socket; a socket over budget is closed, and its frames refused. */
  private boolean withinBudget(BridgeEvent event, SockJSSocket socket, long size) {
    PeerState peer = peers.get(socket);
    if (peer == null) {
      return false;
    }
    String broken = peer.charge(size);
    if (broken == null) {
      return true;
    }
    if (!broken.isEmpty()) {
      BridgeLimits l = limits;
      LOG.log(System.Logger.Level.WARNING, "closing the socket of peer " + peer.peerId + " from " + peer.remoteHost
          + ": over its " + broken + " budget (" + (broken.equals("messages")
              ? (long) l.maxMessagesPerSecond() + " messages/s, burst " + (long) l.messageBurst()
              : (long) l.maxBytesPerSecond() + " bytes/s, burst " + (long) l.byteBurst()) + ")");
      socket.close();
    }
    return false;
  }

  /** A chunk on its way to this socket earns the socket its answer ({@link PeerState#sent}). */
  private void earnAnswer(JsonObject raw, SockJSSocket socket) {
    PeerState peer = raw == null ? null : peers.get(socket);
    if (peer != null && raw.getValue("body") instanceof JsonObject body && "chunk".equals(body.getValue("type"))) {
      peer.sent(body);
    }
  }

  /** Replaces the client's headers with the peer and remote headers; refuses bodies that are not JSON objects. */
  private boolean stampSender(BridgeEvent event, SockJSSocket socket) {
    PeerState peer = peers.get(socket);
    JsonObject raw = event.getRawMessage();
    if (peer == null || raw == null || !(raw.getValue("body") instanceof JsonObject)) {
      return false;
    }
    raw.put("headers", new JsonObject().put(HEADER_PEER, peer.peerId).put(HEADER_REMOTE, peer.remoteHost)
        .put(HEADER_NODE, nodeId));
    return true;
  }

  private static String address(BridgeEvent event) {
    return event.getRawMessage() == null ? null : event.getRawMessage().getString("address");
  }

  private boolean mayReceivePrivate(BridgeEvent event, SockJSSocket socket) {
    PeerState peer = peers.get(socket);
    return peer != null && DashboardAuth.mayReceive(peer, event.getRawMessage());
  }

  private boolean mayRegister(JsonObject raw, SockJSSocket socket) {
    String address = raw == null ? null : raw.getString("address");
    if (address == null) {
      return false;
    }
    if (address.startsWith(WORKER_PRIVATE_PREFIX)) {
      PeerState peer = peers.get(socket);
      boolean own = peer != null && address.equals(workerPrivate(peer.peerId));
      if (!own) {
        LOG.log(System.Logger.Level.INFO, "refused a socket registering another worker's address " + address);
      }
      return own;
    }
    return address.startsWith(UI_PREFIX) || address.equals(WORKER_ANNOUNCE);
  }

  private void announceListening(JsonObject raw, SockJSSocket socket) {
    PeerState peer = peers.get(socket);
    if (peer != null && raw != null && workerPrivate(peer.peerId).equals(raw.getString("address"))) {
      workers.add(peer.peerId);
      vertx.eventBus().publish(PEER_LISTENING, new JsonObject().put("peerId", peer.peerId));
    }
  }

  private static String newPeerId() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}

package brain.bridge;

import static brain.bus.Addresses.*;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

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
 * </ul>
 */
public final class BridgeGuard implements Handler<BridgeEvent> {
  private static final System.Logger LOG = System.getLogger(BridgeGuard.class.getName());
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MAX_HANDLERS_PER_SOCKET = 16;
  private static final int MAX_ADDRESS_LENGTH = 120;

  private final Vertx vertx;
  private final Map<SockJSSocket, String> peers = new ConcurrentHashMap<>();
  private final Map<String, SockJSSocket> sockets = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicBoolean controlClaimed = new java.util.concurrent.atomic.AtomicBoolean();

  public BridgeGuard(Vertx vertx) {
    this.vertx = vertx;
  }

  /** True for the first caller only: the HTTP instance that answers the guard's own addresses. */
  public boolean claimControl() {
    return controlClaimed.compareAndSet(false, true);
  }

  public static SockJSBridgeOptions options(long pingTimeoutMs, long replyTimeoutMs) {
    SockJSBridgeOptions options = new SockJSBridgeOptions()
        .setPingTimeout(pingTimeoutMs)
        .setReplyTimeout(replyTimeoutMs)
        .setMaxHandlersPerSocket(MAX_HANDLERS_PER_SOCKET)
        .setMaxAddressLength(MAX_ADDRESS_LENGTH);
    for (String address : new String[] {WORKER_REGISTER, WORKER_HEARTBEAT, WORKER_RESULT, WORKER_FAILURE}) {
      options.addInboundPermitted(new PermittedOptions().setAddress(address));
    }
    options.addOutboundPermitted(new PermittedOptions()
        .setAddressRegex(Pattern.quote(WORKER_PRIVATE_PREFIX) + "[A-Za-z0-9_-]{22}"));
    options.addOutboundPermitted(new PermittedOptions().setAddressRegex(Pattern.quote(UI_PREFIX) + "[a-z-]+"));
    return options;
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

  @Override
  public void handle(BridgeEvent event) {
    SockJSSocket socket = event.socket();
    switch (event.type()) {
      case SOCKET_CREATED -> {
        String peerId = newPeerId();
        peers.put(socket, peerId);
        sockets.put(peerId, socket);
        event.complete(true);
      }
      case SOCKET_CLOSED -> {
        String peerId = peers.remove(socket);
        if (peerId != null) {
          sockets.remove(peerId);
          vertx.eventBus().publish(PEER_CLOSED, new JsonObject().put("peerId", peerId));
        }
        event.complete(true);
      }
      case SEND -> event.complete(stampSender(event, socket));
      case PUBLISH -> event.complete(false);
      case REGISTER -> event.complete(mayRegister(event.getRawMessage(), socket));
      case REGISTERED -> {
        announceListening(event.getRawMessage(), socket);
        event.complete(true);
      }
      default -> event.complete(true);
    }
  }

  /** Replaces the client's headers with the peer header; refuses bodies that are not JSON objects. */
  private boolean stampSender(BridgeEvent event, SockJSSocket socket) {
    String peerId = peers.get(socket);
    JsonObject raw = event.getRawMessage();
    if (peerId == null || raw == null || !(raw.getValue("body") instanceof JsonObject)) {
      return false;
    }
    raw.put("headers", new JsonObject().put(HEADER_PEER, peerId));
    return true;
  }

  private boolean mayRegister(JsonObject raw, SockJSSocket socket) {
    String address = raw == null ? null : raw.getString("address");
    if (address == null) {
      return false;
    }
    if (address.startsWith(WORKER_PRIVATE_PREFIX)) {
      String peerId = peers.get(socket);
      boolean own = peerId != null && address.equals(workerPrivate(peerId));
      if (!own) {
        LOG.log(System.Logger.Level.INFO, "refused a socket registering another worker's address " + address);
      }
      return own;
    }
    return address.startsWith(UI_PREFIX);
  }

  private void announceListening(JsonObject raw, SockJSSocket socket) {
    String peerId = peers.get(socket);
    if (peerId != null && raw != null && workerPrivate(peerId).equals(raw.getString("address"))) {
      vertx.eventBus().publish(PEER_LISTENING, new JsonObject().put("peerId", peerId));
    }
  }

  private static String newPeerId() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}

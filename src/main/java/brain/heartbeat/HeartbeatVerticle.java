package brain.heartbeat;

import static brain.bus.Addresses.*;

import brain.config.BrainConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Liveness of worker sessions. Declares a session lost, by publishing on
 * {@code brain.workers.lost}, the moment its socket closes or when no heartbeat came within
 * the timeout (a frozen tab, a lost network with the socket still open); then asks the bridge
 * to close that socket, so a worker that comes back rejoins as a fresh session.
 */
public final class HeartbeatVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(HeartbeatVerticle.class.getName());
  /** Peers closed before their session was announced (a socket that dies right after registering). */
  private static final int REMEMBERED_CLOSED_PEERS = 1000;

  private static final class Tracked {
    final String sessionId;
    final String peerId;
    long lastBeat = System.currentTimeMillis();

    Tracked(String sessionId, String peerId) {
      this.sessionId = sessionId;
      this.peerId = peerId;
    }
  }

  private final Map<String, Tracked> bySession = new HashMap<>();
  private final Map<String, Tracked> byPeer = new HashMap<>();
  private final Map<String, Boolean> closedPeers = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > REMEMBERED_CLOSED_PEERS;
    }
  };
  private long timeoutMs;

  @Override
  public Future<?> start() {
    BrainConfig.Reader conf = new BrainConfig.Reader(config());
    timeoutMs = conf.longValue("heartbeat.timeoutMs");
    long checkEvery = Math.max(100, Math.min(conf.longValue("heartbeat.intervalMs"), timeoutMs / 4));
    vertx.setPeriodic(checkEvery, id -> expireSilent());
    return Future.all(
        vertx.eventBus().<JsonObject>consumer(WORKERS_JOINED, m -> joined(m.body())).completion(),
        vertx.eventBus().<JsonObject>consumer(PEER_CLOSED, m -> peerClosed(m.body().getString("peerId"))).completion(),
        vertx.eventBus().consumer(WORKER_HEARTBEAT, this::heartbeat).completion(),
        vertx.eventBus().consumer(HEARTBEAT_LAST_SEEN, this::lastSeen).completion());
  }

  private void joined(JsonObject session) {
    Tracked tracked = new Tracked(session.getString("sessionId"), session.getString("peerId"));
    bySession.put(tracked.sessionId, tracked);
    byPeer.put(tracked.peerId, tracked);
    if (closedPeers.remove(tracked.peerId) != null) {
      lost(tracked, "socket closed");
    }
  }

  private void peerClosed(String peerId) {
    Tracked tracked = peerId == null ? null : byPeer.get(peerId);
    if (tracked == null) {
      if (peerId != null) {
        closedPeers.put(peerId, Boolean.TRUE);
      }
      return;
    }
    lost(tracked, "socket closed");
  }

  /** {sessionId}: answers ok, or 404 when the session is unknown here (the worker must reconnect). */
  private void heartbeat(Message<Object> message) {
    String peerId = message.headers().get(HEADER_PEER);
    Tracked tracked = peerId == null ? null : byPeer.get(peerId);
    Object sessionId = message.body() instanceof JsonObject json ? json.getValue("sessionId") : null;
    if (tracked == null || !tracked.sessionId.equals(sessionId)) {
      message.fail(404, "unknown session; reconnect and register again");
      return;
    }
    tracked.lastBeat = System.currentTimeMillis();
    message.reply(new JsonObject().put("ok", true).put("now", tracked.lastBeat));
  }

  private void lastSeen(Message<Object> message) {
    JsonObject seen = new JsonObject();
    bySession.values().forEach(t -> seen.put(t.sessionId, t.lastBeat));
    message.reply(seen);
  }

  private void expireSilent() {
    long now = System.currentTimeMillis();
    for (Iterator<Tracked> it = bySession.values().iterator(); it.hasNext(); ) {
      Tracked tracked = it.next();
      if (now - tracked.lastBeat > timeoutMs) {
        it.remove();
        byPeer.remove(tracked.peerId, tracked);
        announceLost(tracked, "no heartbeat for " + (now - tracked.lastBeat) + " ms");
        vertx.eventBus().publish(PEER_DISCONNECT, new JsonObject().put("peerId", tracked.peerId)
            .put("reason", "heartbeat timeout"));
      }
    }
  }

  private void lost(Tracked tracked, String reason) {
    bySession.remove(tracked.sessionId, tracked);
    byPeer.remove(tracked.peerId, tracked);
    announceLost(tracked, reason);
  }

  private void announceLost(Tracked tracked, String reason) {
    LOG.log(System.Logger.Level.DEBUG, "session " + tracked.sessionId + " lost: " + reason);
    vertx.eventBus().publish(WORKERS_LOST, new JsonObject().put("sessionId", tracked.sessionId)
        .put("peerId", tracked.peerId).put("reason", reason));
  }
}

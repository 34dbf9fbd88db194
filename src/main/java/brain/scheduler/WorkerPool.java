package brain.scheduler;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The live worker sessions, found by session id or by bridge peer, and a round-robin queue of
 * those with a free slot. Confined to the scheduler's event loop.
 */
final class WorkerPool {
  private static final int RECENTLY_LOST = 50;

  private final Map<String, WorkerSession> bySession = new HashMap<>();
  private final Map<String, WorkerSession> byPeer = new HashMap<>();
  /** By the capability of its data URLs (protocol 2). */
  private final Map<String, WorkerSession> byDataToken = new HashMap<>();
  /** Peers whose private handler is live, even before (or after) they hold a session. */
  private final Set<String> listeningPeers = new HashSet<>();
  private final ArrayDeque<WorkerSession> withFreeSlot = new ArrayDeque<>();
  private final ArrayDeque<JsonObject> recentlyLost = new ArrayDeque<>();
  /** Sessions each worker id opened since the server started (bounded: least recent forgotten). */
  private final Map<String, Integer> sessionsJoined = new java.util.LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
      return size() > 100_000;
    }
  };

  int sessionsJoined(String workerId) {
    return sessionsJoined.getOrDefault(workerId, 1);
  }

  WorkerSession byPeer(String peerId) {
    return peerId == null ? null : byPeer.get(peerId);
  }

  WorkerSession byDataToken(String token) {
    return token == null ? null : byDataToken.get(token);
  }

  WorkerSession bySession(String sessionId) {
    return bySession.get(sessionId);
  }

  int size() {
    return bySession.size();
  }

  Collection<WorkerSession> sessions() {
    return bySession.values();
  }

  void add(WorkerSession session) {
    sessionsJoined.merge(session.workerId, 1, Integer::sum);
    bySession.put(session.sessionId, session);
    byPeer.put(session.peerId, session);
    byDataToken.put(session.dataToken, session);
    if (listeningPeers.contains(session.peerId)) {
      session.listening = true;
      offer(session);
    }
  }

  /** The bridge reports the peer's private handler live; answers the session if one is waiting for it. */
  WorkerSession peerListening(String peerId) {
    listeningPeers.add(peerId);
    WorkerSession session = byPeer.get(peerId);
    if (session != null && !session.listening) {
      session.listening = true;
      offer(session);
    }
    return session;
  }

  /** Removes a session; answers it, or null when it was already gone. */
  WorkerSession remove(String sessionId, String reason) {
    WorkerSession session = bySession.remove(sessionId);
    if (session == null) {
      return null;
    }
    byDataToken.remove(session.dataToken);
    byPeer.remove(session.peerId, session);
    listeningPeers.remove(session.peerId);
    withFreeSlot.remove(session);
    session.offered = false;
    session.listening = false;
    recentlyLost.addFirst(session.view(System.currentTimeMillis()).put("state", "lost").put("reason", reason)
        .put("lostAt", System.currentTimeMillis()));
    while (recentlyLost.size() > RECENTLY_LOST) {
      recentlyLost.removeLast();
    }
    return session;
  }

  /** Puts a session in the free-slot queue if it has a free slot and is not there yet. */
  void offer(WorkerSession session) {
    if (!session.offered && session.freeSlots() > 0 && bySession.get(session.sessionId) == session) {
      session.offered = true;
      withFreeSlot.addLast(session);
    }
  }

  /**
   * Takes the next session with a free slot that {@code accepts} (round robin); sessions that
   * don't accept stay queued in order. Null when none.
   */
  WorkerSession take(Predicate<WorkerSession> accepts) {
    int n = withFreeSlot.size();
    for (int i = 0; i < n; i++) {
      WorkerSession session = withFreeSlot.pollFirst();
      session.offered = false;
      if (session.freeSlots() <= 0 || bySession.get(session.sessionId) != session) {
        continue;
      }
      if (accepts.test(session)) {
        return session;
      }
      session.offered = true;
      withFreeSlot.addLast(session);
    }
    return null;
  }

  /** How many sessions wait in the free-slot queue (some may have lost their slot since: an upper bound). */
  int waitingWithFreeSlot() {
    return withFreeSlot.size();
  }

  /** Whether some session may have a free slot (cheap; {@link #take} has the final word). */
  boolean mayHaveFreeSlot() {
    return !withFreeSlot.isEmpty();
  }

  boolean anyListening() {
    return bySession.values().stream().anyMatch(s -> s.listening);
  }

  long listeningCount() {
    return bySession.values().stream().filter(s -> s.listening).count();
  }

  JsonArray view(Map<String, Long> lastHeartbeat) {
    long now = System.currentTimeMillis();
    JsonArray list = new JsonArray();
    for (WorkerSession session : bySession.values()) {
      JsonObject view = session.view(now);
      Long beat = lastHeartbeat.get(session.sessionId);
      view.put("sinceHeartbeatMs", beat == null ? null : now - beat);
      list.add(view);
    }
    recentlyLost.forEach(lost -> list.add(lost.copy().put("sinceLostMs", now - lost.getLong("lostAt"))));
    return list;
  }
}

package brain.scheduler;

import static java.lang.System.Logger.Level.INFO;

import brain.bus.Addresses;
import brain.model.ApiError;
import brain.trust.TrustRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Workers joining and leaving the pool of one term: registration (the private grid's key,
 * throttled identities, trust levels), sessions lost (their chunks back to the queue), the
 * sessions of a node that left the cluster, and identities excluded for wrong results.
 * Confined to the scheduler's thread.
 */
final class Membership {
  private static final System.Logger LOG = System.getLogger(Membership.class.getName());

  private final Vertx vertx;
  private final SchedulerSettings settings;
  private final WorkerPool pool;
  private final TrustRegistry trust;
  private final SchedulerFeeds feeds;

  Membership(Vertx vertx, SchedulerSettings settings, WorkerPool pool, TrustRegistry trust, SchedulerFeeds feeds) {
    this.vertx = vertx;
    this.settings = settings;
    this.pool = pool;
    this.trust = trust;
    this.feeds = feeds;
  }

  /** {@code signedIn}: the worker presented a valid requestor or admin token (it may then join a private grid without the key). */
  JsonObject register(String peerId, String remoteAddress, String node, Object body, boolean signedIn) {
    if (peerId == null) {
      throw ApiError.badRequest("workers register through the event-bus bridge");
    }
    JsonObject registration = Inbound.registration(body, settings.defaultSlots());
    if (settings.privateGrid() && !signedIn && !sameKey(registration.getString("key"), settings.workerKey())) {
      throw new ApiError(403, registration.getString("key").isEmpty()
          ? "this grid is private: ask its operator for the worker key and open worker.html?key=<key> "
              + "(or worker --key KEY, or worker --token with a requestor's token)"
          : "this grid is private and that worker key is wrong");
    }
    WorkerSession session = pool.byPeer(peerId);
    if (session == null) {
      if (pool.size() >= settings.maxWorkers()) {
        throw new ApiError(503, "the grid has its maximum of " + settings.maxWorkers() + " workers");
      }
      String workerId = registration.getString("workerId");
      long now = System.currentTimeMillis();
      if (!trust.mayJoin(workerId, remoteAddress, now)) {
        throw new ApiError(429, "too many worker identities from your network address produced wrong results; "
            + "new ones may join a few a minute: try again in a minute");
      }
      TrustRegistry.Level level = trust.level(workerId, remoteAddress, now);
      // Suspects get one chunk at a time: their work costs the server the strictest checks.
      int slots = level == TrustRegistry.Level.SUSPECT ? 1
          : Math.min(registration.getInteger("slots"), settings.maxSlotsPerWorker());
      session = new WorkerSession("s-" + Dispatch.newId(), peerId, remoteAddress, registration, slots, level);
      session.node = node == null ? brain.cluster.NodeId.LOCAL : node;
      session.excludedUntil = trust.excludedUntil(workerId); // a new session does not end its identity's exclusion
      pool.add(session);
      vertx.eventBus().publish(Addresses.WORKERS_JOINED, new JsonObject().put("sessionId", session.sessionId)
          .put("peerId", peerId).put("workerId", session.workerId));
      feeds.joined(session);
      LOG.log(INFO, "worker " + session.name + " (" + session.engine + ", " + session.adapter + ") joined as "
          + session.sessionId + " (protocol " + session.protocol + ")");
    } else {
      session.name = registration.getString("name");
      session.holds = Inbound.holds(registration); // a worker tells what its cache holds by registering again
    }
    JsonObject reply = new JsonObject()
        .put("sessionId", session.sessionId)
        .put("address", session.address())
        .put("slots", session.slots)
        .put("heartbeatIntervalMs", settings.heartbeatIntervalMs())
        .put("heartbeatTimeoutMs", settings.heartbeatTimeoutMs())
        .put("maxResultBytes", settings.maxMessageBytes())
        .put("protocol", session.protocol);
    if (session.protocol >= 2) {
      reply.put("dataToken", session.dataToken); // the capability of its data URLs (§4); already in them
    }
    return reply;
  }

  /** Whether the bridge's news made a session listening (dispatch may follow). */
  boolean peerListening(String peerId) {
    return pool.peerListening(peerId) != null;
  }

  void workerLost(String sessionId, String reason) {
    WorkerSession session = pool.remove(sessionId, reason);
    if (session == null) {
      return;
    }
    LOG.log(INFO, "worker " + session.name + " (" + sessionId + ") lost: " + reason);
    for (Lease lease : session.inFlight.values()) {
      if (lease.job.closeLease(lease)) {
        lease.job.timeline.add("lost", lease.chunkIndex, session, lease, reason);
        lease.job.requeue(lease.chunkIndex);
      }
    }
    session.inFlight.clear();
  }

  /** A cluster member left: its sockets are gone with it, so are its workers' sessions; their chunks go to others. */
  void nodeLeft(String nodeId) {
    for (WorkerSession session : List.copyOf(pool.sessions())) {
      if (session.node.equals(nodeId)) {
        workerLost(session.sessionId, "its node " + nodeId + " left the cluster");
      }
    }
  }


  /** Compares keys in time independent of where they differ. */
  private static boolean sameKey(String presented, String expected) {
    return java.security.MessageDigest.isEqual(presented.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        expected.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * A wrong result of {@code workerId}'s (on arrival or in the final check): its identity is
   * excluded, on every live session of it, and the job's timeline says why.
   */
  void excludeIdentity(String workerId, String address, RunningJob job, String why) {
    long now = System.currentTimeMillis();
    long until = trust.refused(workerId, address, now);
    for (WorkerSession session : pool.sessions()) {
      if (session.workerId.equals(workerId)) {
        if (!session.excluded(now)) {
          job.timeline.add("excluded", null, session, null, why + "; no chunks for "
              + Math.max(1, (until - now) / 1000) + " s, then stricter checks");
          LOG.log(INFO, "worker " + session.label + " (" + session.name + ") excluded: " + why);
        }
        session.excludedUntil = Math.max(session.excludedUntil, until);
      }
    }
  }

  /** The network address of a live session of {@code workerId}, or null. */
  String addressOf(String workerId) {
    for (WorkerSession session : pool.sessions()) {
      if (session.workerId.equals(workerId)) {
        return session.remoteAddress;
      }
    }
    return null;
  }

}

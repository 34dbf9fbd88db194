package brain.bus;

/**
 * Every event-bus address, in one place. Names are dotted, domain first; those a browser may
 * touch say their direction ({@code to.server} inbound, {@code to.client} outbound) so the
 * bridge's inbound and outbound lists never overlap.
 */
public final class Addresses {
  private Addresses() {}

  // ---- bridged, inbound: worker → server (send only) ----
  public static final String WORKER_REGISTER = "brain.worker.to.server.register";
  public static final String WORKER_HEARTBEAT = "brain.worker.to.server.heartbeat";
  public static final String WORKER_RESULT = "brain.worker.to.server.result";
  public static final String WORKER_FAILURE = "brain.worker.to.server.failure";
  /**
   * The binary data plane (docs/PROTOCOL.md §4), HTTP verticle → scheduler: may this data URL be
   * served ({c, item} → {file, offset, length}); may this upload be read ({c, assignmentId,
   * length}); the upload's body (a Buffer; headers c, assignmentId, computeMs, waitMs, and
   * unchecked=true for a small body read before any check: checked on arrival). Not on
   * the bridge: workers reach them only through GET /data/… and PUT /data/results/….
   */
  public static final String DATA_FETCH = "brain.scheduler.data.fetch";
  public static final String DATA_UPLOAD_CHECK = "brain.scheduler.data.upload-check";
  public static final String DATA_UPLOAD = "brain.scheduler.data.upload";

  // ---- bridged, outbound: server → one worker (only the owning socket may register it) ----
  public static final String WORKER_PRIVATE_PREFIX = "brain.worker.to.client.";

  public static String workerPrivate(String peerId) {
    return WORKER_PRIVATE_PREFIX + peerId;
  }

  // ---- bridged, outbound only: server → dashboards ----
  public static final String UI_PREFIX = "brain.ui.to.client.";
  public static final String UI_HEALTH = UI_PREFIX + "health";
  public static final String UI_JOBS = UI_PREFIX + "jobs";
  public static final String UI_WORKERS = UI_PREFIX + "workers";
  public static final String UI_TIMELINE = UI_PREFIX + "timeline";
  public static final String UI_LEADERBOARD = UI_PREFIX + "leaderboard";

  // ---- internal: bridge → others (the bridge stamps this header with the socket's peer id) ----
  public static final String HEADER_PEER = "peer";
  /** Stamped by the bridge too: the socket's remote host (an IP address), for per-address trust and throttling. */
  public static final String HEADER_REMOTE = "remote";
  /** Stamped by the bridge too: the id of the node whose bridge holds the socket ({@link brain.cluster.NodeId}). */
  public static final String HEADER_NODE = "node";
  /** Published when a bridge socket closes: {peerId}. */
  public static final String PEER_CLOSED = "brain.bridge.peer.closed";
  /** Published when a worker's private handler is live on its socket: {peerId}. */
  public static final String PEER_LISTENING = "brain.bridge.peer.listening";
  /** Request: {openSockets}. */
  public static final String BRIDGE_STATS = "brain.bridge.stats";
  /** Published to the bridges (one per node) to close a peer's socket: {peerId, reason}. */
  public static final String PEER_DISCONNECT = "brain.bridge.peer.disconnect";

  // ---- internal: jobs ----
  public static final String JOBS_SUBMIT = "brain.jobs.submit";
  public static final String JOBS_REPLAY = "brain.jobs.replay";
  public static final String JOBS_ENQUEUE = "brain.jobs.enqueue";
  public static final String JOBS_CANCEL = "brain.jobs.cancel";
  public static final String JOBS_VIEW = "brain.jobs.view";
  public static final String JOBS_TIMELINE = "brain.jobs.timeline";

  // ---- internal: workers ----
  /** Published when a session joins: {sessionId, peerId, workerId}. */
  public static final String WORKERS_JOINED = "brain.workers.joined";
  /** Published when a session is gone, whoever noticed: {sessionId, peerId, reason}. */
  public static final String WORKERS_LOST = "brain.workers.lost";
  public static final String WORKERS_LIST = "brain.workers.list";
  public static final String SCHEDULER_STATS = "brain.scheduler.stats";
  /** Request: when each session last sent a heartbeat, {sessionId: epoch ms}. */
  public static final String HEARTBEAT_LAST_SEEN = "brain.heartbeat.last-seen";

  // ---- internal: persistence (the only code that touches the database) ----
  public static final String DB_JOB_INSERT = "brain.db.jobs.insert";
  public static final String DB_JOB_UPDATE = "brain.db.jobs.update";
  public static final String DB_JOB_DELETE = "brain.db.jobs.delete";
  public static final String DB_JOB_GET = "brain.db.jobs.get";
  public static final String DB_JOB_LIST = "brain.db.jobs.list";
  public static final String DB_JOB_UNFINISHED = "brain.db.jobs.unfinished";
  public static final String DB_RESULT_SAVE = "brain.db.results.save";
  /**
   * Request {id}: a result stored as a file answers {rows, cols, bytes, sha256, file} (the file's
   * absolute path); one stored as a blob before schema 5 answers the Matrix itself.
   */
  public static final String DB_RESULT_GET = "brain.db.results.get";
  /** Request {}: runs the retention sweep now (it also runs at start and daily); answers what it deleted. */
  public static final String DB_STORAGE_SWEEP = "brain.db.storage.sweep";
  /**
   * Request: {jobId, chunks: [{chunk, workerId, name, multiplyAdds, computeMs}]}, sent once a job's product
   * passed its final check; answers {granted: n} (0 when the job was credited before: never twice).
   */
  public static final String DB_CREDITS_GRANT = "brain.db.credits.grant";
  /** Request: {joins: [{workerId, name, sessions}]}: sessions counted on rows that exist. */
  public static final String DB_LEADERBOARD_JOINED = "brain.db.leaderboard.joined";
  public static final String DB_LEADERBOARD_TOP = "brain.db.leaderboard.top";
  /** {workerIds: [...]} → {workerId: {rank, totalComputeMs, tasksCompleted}}. */
  public static final String DB_LEADERBOARD_STANDING = "brain.db.leaderboard.standing";
  public static final String DB_STATS = "brain.db.stats";

  // ---- internal: matrices (uploads; metadata in the database, values in files under storage.dir) ----
  /**
   * Request: {id, rows, cols, bytes, sha256, owner} → {id, rows, cols, bytes, sha256, newOwner}: records the
   * matrix (once) and its owner; {@code newOwner} false when that owner had it already.
   */
  public static final String DB_MATRIX_RECORD = "brain.db.matrices.record";
  /** Request: {id, owner?} → {id, rows, cols, bytes, sha256, createdAt}; fails 404 unknown or not owned by owner (null: any). */
  public static final String DB_MATRIX_GET = "brain.db.matrices.get";
  /** Request: {owner?} → [{id, rows, cols, bytes, sha256, createdAt}] (owner null: all). */
  public static final String DB_MATRIX_LIST = "brain.db.matrices.list";
  /**
   * Request: {id, owner, admin}: 409 while a queued or running job uses it; else removes owner's ownership
   * (an admin not owning it: everyone's) → {id, removed: true when no owner is left (the file may go)}.
   */
  public static final String DB_MATRIX_RELEASE = "brain.db.matrices.release";

  // ---- internal: Idempotency-Key (brain.persistence.IdempotencyStore) ----
  /**
   * Request: {caller, key, fingerprint} → {attempt} (this request holds the key now), {replay: {status, body}}
   * (the first request's answer) or {resourceId} (its job, answer not stored); fails 422 when the key was used
   * for a different request, 409 while the first is in flight.
   */
  public static final String DB_IDEMPOTENCY_CLAIM = "brain.db.idempotency.claim";
  /** Request: {caller, key, attempt, status, body, resourceId?}: stores the answer retries get. */
  public static final String DB_IDEMPOTENCY_COMPLETE = "brain.db.idempotency.complete";
  /** Request: {caller, key, attempt}: the request failed and created nothing; frees the key. */
  public static final String DB_IDEMPOTENCY_RELEASE = "brain.db.idempotency.release";

  // ---- internal: authentication (brain.auth) ----
  /** Request: {token} → {name, role, quotas}; fails with 401 for an unknown or revoked token. */
  public static final String AUTH_VERIFY = "brain.auth.verify";
  /** Published when a token is revoked: {name}. Bridges drop that requestor's feeds at once. */
  public static final String AUTH_REVOKED = "brain.auth.revoked";
  /** Request: {hash} → {name, role, quotas (the row's own, or null)}; fails 404 for no such token. */
  public static final String DB_TOKEN_GET = "brain.db.tokens.get";
  /** Request: {name, role, hash, quotas?} → {name, role, createdAt}; fails 409 when the name exists. */
  public static final String DB_TOKEN_CREATE = "brain.db.tokens.create";
  /** Request: {name, role, hash}: creates or replaces that row (the first admin, BRAIN_ADMIN_TOKEN). */
  public static final String DB_TOKEN_PUT = "brain.db.tokens.put";
  /** Request: {} → [{name, role, createdAt, lastUsedAt, quotas}], never hashes. */
  public static final String DB_TOKEN_LIST = "brain.db.tokens.list";
  /** Request: {name} → 1; fails 404 for an unknown name. */
  public static final String DB_TOKEN_DELETE = "brain.db.tokens.delete";
  /** Request: {name, at}: records when a token was last used (at most once a minute per token). */
  public static final String DB_TOKEN_TOUCH = "brain.db.tokens.touch";
  /** Request: {} → {admins: n}, the admin tokens stored. */
  public static final String DB_TOKEN_ADMINS = "brain.db.tokens.admins";

  // ---- internal: cluster ----
  /** Request, answered on every node by its own consumer: {} → {nodes: [{id, url, upSince, sockets, workers, scheduler}]}. */
  public static final String CLUSTER_NODES = "brain.cluster.nodes";
  /** Published by a node when it becomes the scheduler: {nodeId, fence}. Workers' bridges relay it so workers re-register. */
  public static final String SCHEDULER_ANNOUNCE = "brain.cluster.scheduler.announce";

  /** Published on each node, locally, when a cluster member leaves (died or stopped): {nodeId}. */
  public static final String CLUSTER_NODE_LEFT = "brain.cluster.node.left";

  /** Bridged, outbound: published by a node that becomes scheduler, {nodeId, fence}; workers on any node re-register. */
  public static final String WORKER_ANNOUNCE = "brain.scheduler.to.client.announce";

  // ---- internal: the scheduler's lease (brain.election → brain.persistence, answered by the node's own persistence)
  /** Request {holder, fence, leaseMs} → {holder, fence, expiresAt, leaseMs, held}: renew, or take an expired lease. */
  public static final String DB_LEASE_CLAIM = "brain.db.lease.claim";
  /** Request {holder, fence} → {released}: lets a held lease go at once. */
  public static final String DB_LEASE_RELEASE = "brain.db.lease.release";
  /** Request {} → {holder, fence, expiresAt, leaseMs, expiresInMs}. */
  public static final String DB_LEASE_GET = "brain.db.lease.get";
  /**
   * Header on every write of the scheduler (job rows, result, credits): its fencing number. The
   * database applies the write only while that fence holds an unexpired lease, else fails it with
   * {@link #STALE_FENCE_CODE}.
   */
  public static final String HEADER_FENCE = "fence";
  public static final int STALE_FENCE_CODE = 412;

  // ---- internal: metrics ----
  public static final String METRICS_HEALTH = "brain.metrics.health";
}

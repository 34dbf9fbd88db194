package brain.scheduler;

import brain.bus.Addresses;
import brain.model.WorkerLabel;
import brain.trust.TrustRegistry;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** One worker connection as the scheduler sees it. Confined to the scheduler's event loop. */
final class WorkerSession {
  final String sessionId;
  final String peerId;
  final String workerId;
  /** The public label of its worker id (see {@link WorkerLabel}). */
  final String label;
  /** The socket's remote address, as the bridge saw it (null for a message that did not cross the bridge). */
  final String remoteAddress;
  /** How strictly its results are checked, fixed when it joins (trust is earned by identity, over sessions). */
  TrustRegistry.Level trust;
  /** Display name; a worker may rename itself by registering again on the same socket. */
  String name;
  final String engine;
  final String adapter;
  final int slots;
  final double reportedOpsPerMs;
  final long maxBufferBytes;
  /** Its budget for one chunk's inputs and output (A panel, B panel, C block), bytes; unbounded when not declared. */
  final long memoryBytes;
  final long joinedAt = System.currentTimeMillis();
  /** The node whose bridge holds its socket ({@link brain.bus.Addresses#HEADER_NODE}). */
  String node = brain.cluster.NodeId.LOCAL;

  /** Set once the bridge reports the worker's private handler live: only then do we send to it. */
  boolean listening;
  /** Whether it sits in the pool's queue of workers with a free slot. */
  boolean offered;
  /** Leases out on this worker (results not received yet), by assignment id. */
  final Map<String, Lease> inFlight = new LinkedHashMap<>();
  /** Jobs whose B (for a 2-D-block job: which column panel of B) this session holds now. */
  final Map<String, Integer> bPanels = new HashMap<>();
  /** 1: payloads in base64 inside the bus messages; 2: data items fetched and results uploaded over HTTP. */
  final int protocol;
  /** Protocol 2: the capability in this session's data URLs (random, 128 bits; never shown anywhere else). */
  final String dataToken = Dispatch.newId();
  /**
   * Protocol 2: the data items this session was named in a lease or a chunk message's prefetch, by id: only
   * these may it fetch.
   * Bounded (oldest dropped first): a long session does not grow it without end.
   */
  final Map<String, Grant> granted = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Grant> eldest) {
      return size() > MAX_GRANTED;
    }
  };
  static final int MAX_GRANTED = 4096;
  /**
   * Leases the scheduler took back while they were out because their result was not needed any
   * more (another copy won, the job ended; not an expired one), newest last and bounded: an upload that crossed the cancel on the wire is answered
   * "not needed" instead of refused ({@link DataPlane#uploadCheck}).
   */
  final Set<String> withdrawn = java.util.Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > MAX_WITHDRAWN;
    }
  });
  static final int MAX_WITHDRAWN = 256;

  /** An item a lease named, and the job whose wire bytes its fetches count in. */
  record Grant(JobInputs.Item item, String jobId) {}
  /** Protocol 2: the ids of the items the worker says it holds in its cache (at most {@link Inbound#MAX_HOLDS}). */
  Set<String> holds = Set.of();
  /** Protocol 2: bytes it fetched and uploaded over HTTP (the data plane's share of its wire bytes). */
  long dataBytesOut;

  long chunksDone;
  double computeMs;
  /** Observed speed, multiply-adds per millisecond of compute (moving average). */
  double observedOpsPerMs;
  int rejected;
  /** Failures (refused results, errors, expired leases) since its last accepted result. */
  int consecutiveFailures;
  /** Until when it gets no chunks: after failing too often in a row, or while its identity is excluded. */
  long excludedUntil;
  /** When its last result arrived: a chunk's compute cannot have started before it nor before its dispatch. */
  long lastResultNanos;
  /** Jobs for which a refused stray message of this session is on the timeline already (one event each). */
  final Set<String> straysNoted = new HashSet<>();

  WorkerSession(String sessionId, String peerId, String remoteAddress, JsonObject registration, int grantedSlots,
      TrustRegistry.Level trust) {
    this.sessionId = sessionId;
    this.peerId = peerId;
    this.remoteAddress = remoteAddress;
    this.trust = trust;
    this.workerId = registration.getString("workerId");
    this.label = WorkerLabel.of(workerId);
    this.name = registration.getString("name");
    this.engine = registration.getString("engine");
    this.adapter = registration.getString("adapter");
    this.reportedOpsPerMs = registration.getDouble("opsPerMs", 0.0);
    this.maxBufferBytes = registration.getLong("maxBufferBytes", Long.MAX_VALUE);
    this.memoryBytes = registration.getLong("memoryBytes", Long.MAX_VALUE);
    this.slots = grantedSlots;
    this.protocol = registration.getInteger("protocol", 1);
    this.holds = Inbound.holds(registration);
  }

  String address() {
    return Addresses.workerPrivate(peerId);
  }

  /**
   * Takes lease {@code assignmentId} back from this worker (it is told so); one whose result is
   * merely not needed any more (another copy won, its job ended) is remembered as this worker's.
   */
  Lease takeBack(String assignmentId, boolean notNeeded) {
    Lease lease = inFlight.remove(assignmentId);
    if (lease != null && notNeeded) {
      withdrawn.add(assignmentId);
    }
    return lease;
  }

  int freeSlots() {
    return listening ? slots - inFlight.size() : 0;
  }

  boolean excluded(long now) {
    return excludedUntil > now;
  }

  /** Whether this worker's engine can hold this job's buffers, and one chunk of it fits its memory budget. */
  boolean canTake(RunningJob job) {
    return job.largestBufferBytes() <= maxBufferBytes && job.chunkMemoryBytes() <= memoryBytes;
  }

  /** Whether it has chunks of this job in flight (then it may take only chunks of the B panel it holds). */
  boolean busyWith(RunningJob job) {
    for (Lease lease : inFlight.values()) {
      if (lease.job == job) {
        return true;
      }
    }
    return false;
  }

  void recordSpeed(long multiplyAdds, double computeMs) {
    if (computeMs <= 0) {
      return;
    }
    double sample = multiplyAdds / computeMs;
    observedOpsPerMs = observedOpsPerMs == 0 ? sample : 0.7 * observedOpsPerMs + 0.3 * sample;
  }

  JsonObject view(long now) {
    return new JsonObject()
        .put("sessionId", sessionId)
        .put("node", node)
        .put("label", label)
        .put("trust", trust.name().toLowerCase(java.util.Locale.ROOT))
        .put("name", name)
        .put("engine", engine)
        .put("adapter", adapter)
        .put("state", excluded(now) ? "excluded" : inFlight.isEmpty() ? "idle" : "computing")
        .put("slots", slots)
        .put("inFlight", inFlight.size())
        .put("chunksDone", chunksDone)
        .put("computeMs", Math.round(computeMs * 10) / 10.0)
        .put("opsPerMs", Math.round((observedOpsPerMs > 0 ? observedOpsPerMs : reportedOpsPerMs) * 10) / 10.0)
        .put("connectedMs", now - joinedAt);
  }
}

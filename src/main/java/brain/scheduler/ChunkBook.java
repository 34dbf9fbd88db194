package brain.scheduler;

import brain.model.ChunkPlan;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The chunk states of one job's plan: which are pending (reassigned chunks go to the front of
 * the queue), out or done, the leases out, where each failed, who may not compute it again and
 * who is credited for it. Confined to the scheduler's event loop, like its {@link RunningJob}.
 */
final class ChunkBook {
  enum ChunkState { PENDING, OUT, DONE }

  private ChunkPlan plan;
  private ChunkState[] states;
  /** Leases not yet settled per chunk (more than one once speculative copies exist). */
  private int[] leasesOut;
  /** How many times each chunk was sent out. */
  private int[] attempts;
  private final ArrayDeque<Integer> pending = new ArrayDeque<>();
  /** Pending chunks whose A a session was told to fetch ahead ({@link #reserveNext}). */
  private final FetchAhead ahead = new FetchAhead();
  /** Leases not yet settled, by assignment id. */
  /** Open leases in the order they went out (oldest first: {@link #stragglers} stops at the first young one). */
  private final Map<String, Lease> leases = new java.util.LinkedHashMap<>();
  /** Distinct workers a chunk failed on (reported failures and expiries; wrong results are the worker's fault). */
  private final Map<Integer, Set<String>> failedOn = new HashMap<>();
  /** Workers that may not compute a chunk again: their result for it failed the final check. */
  private final Map<Integer, Set<String>> forbidden = new HashMap<>();
  /** Who computed each accepted chunk and what it is credited, once the product passes its final check. */
  private RunningJob.ChunkCredit[] credits;
  /** Leases opened so far: numbers them for the public timeline. */
  private int leasesOpened;

  /** Every chunk of {@code plan} pending, in order. */
  void start(ChunkPlan plan) {
    this.plan = plan;
    this.states = new ChunkState[plan.size()];
    Arrays.fill(states, ChunkState.PENDING);
    this.leasesOut = new int[plan.size()];
    this.attempts = new int[plan.size()];
    this.credits = new RunningJob.ChunkCredit[plan.size()];
    for (int i = 0; i < plan.size(); i++) {
      pending.addLast(i);
    }
  }

  /**
   * The pending chunk {@code workerId} should take next, or -1: not one it is forbidden, and
   * preferably not one it already failed ({@code failedToo}: those too; the poison rule settles
   * that case). Locality for blocks: a chunk of the B panel it holds ({@code heldPanel}, -1 for
   * none) first; with {@code locked} (it has chunks of this job in flight, so it may hold only
   * that panel) nothing else; otherwise one of the panel with the most pending chunks per worker
   * already holding it ({@code holders}), so workers spread over panels instead of all loading
   * the same one. Does not take it: see {@link #take}.
   */
  int pendingFor(String workerId, String sessionId, int heldPanel, boolean locked, boolean failedToo, int[] holders) {
    int[] pendingPerPanel = plan.blocked() ? new int[plan.panels()] : null;
    int first = -1;
    int firstOfHeld = -1;
    if (pendingPerPanel == null && !ahead.isEmpty()) {
      for (Integer chunk : ahead.of(sessionId)) { // what it fetched ahead first
        if (eligible(chunk, workerId, failedToo)) {
          return chunk;
        }
      }
    }
    int reservedElsewhere = -1;
    for (Integer chunk : pending) {
      if (!eligible(chunk, workerId, failedToo)) {
        continue;
      }
      if (pendingPerPanel == null) {
        if (ahead.heldByAnother(chunk, sessionId)) {
          if (reservedElsewhere < 0) {
            reservedElsewhere = chunk;
          }
          continue;
        }
        return chunk; // a row-slice job: one panel, the first eligible chunk (O(1) when nothing failed)
      }
      int panel = plan.get(chunk).panel(plan);
      if (panel == heldPanel && firstOfHeld < 0) {
        firstOfHeld = chunk;
      }
      if (first < 0) {
        first = chunk;
      }
      pendingPerPanel[panel]++;
    }
    if (pendingPerPanel == null) {
      return reservedElsewhere; // a row-slice job: another's prefetched chunk only when nothing else is left, else -1
    }
    if (firstOfHeld >= 0 || locked) {
      return firstOfHeld; // -1 when locked to a panel with nothing left for it
    }
    int best = -1;
    double bestShare = 0;
    for (int p = 0; p < pendingPerPanel.length; p++) {
      double share = pendingPerPanel[p] / (1.0 + (holders == null ? 0 : holders[p]));
      if (pendingPerPanel[p] > 0 && share > bestShare) {
        best = p;
        bestShare = share;
      }
    }
    if (best < 0) {
      return first;
    }
    for (Integer chunk : pending) {
      if (plan.get(chunk).panel(plan) == best && !isForbidden(chunk, workerId)) {
        Set<String> failed = failedOn.get(chunk);
        if (failedToo || failed == null || !failed.contains(workerId)) {
          return chunk;
        }
      }
    }
    return first;
  }

  /** Takes a pending chunk out of the queue (it goes out now). */
  void take(int chunk) {
    pending.removeFirstOccurrence(chunk);
    states[chunk] = ChunkState.OUT;
    ahead.taken(chunk);
  }

  private boolean eligible(int chunk, String workerId, boolean failedToo) {
    if (isForbidden(chunk, workerId)) {
      return false;
    }
    Set<String> failed = failedOn.get(chunk);
    return failedToo || failed == null || !failed.contains(workerId);
  }

  /**
   * A row-slice job's next pending chunk, set aside for {@code sessionId} so that it can fetch its
   * inputs ahead (while its chunks in flight compute): others take it only when nothing else is
   * pending. At most {@code depth} per session, and only while more than {@code keepPending}
   * pending chunks are not set aside; -1 when none is left or the session holds enough.
   */
  int reserveNext(String sessionId, String workerId, int depth, int keepPending) {
    if (plan.blocked() || ahead.of(sessionId).size() >= depth || pending.size() - ahead.size() <= keepPending) {
      return -1;
    }
    for (Integer chunk : pending) {
      if (!ahead.isHeld(chunk) && eligible(chunk, workerId, false)) {
        ahead.hold(chunk, sessionId);
        return chunk;
      }
    }
    return -1;
  }

  /** The session is gone: its reserved chunks are anyone's. */
  void unreserve(String sessionId) {
    ahead.release(sessionId);
  }

  private boolean isForbidden(int chunk, String workerId) {
    Set<String> workers = forbidden.get(chunk);
    return workers != null && workers.contains(workerId);
  }

  boolean hasPending() {
    return !pending.isEmpty();
  }

  Lease openLease(RunningJob job, String assignmentId, int chunk, WorkerSession session, long leaseMs, long bytesOut,
      boolean speculative) {
    Lease lease = new Lease(assignmentId, ++leasesOpened, job, chunk, session, leaseMs, bytesOut, speculative);
    leases.put(assignmentId, lease);
    leasesOut[chunk]++;
    attempts[chunk]++;
    return lease;
  }

  /** Whether {@code lease} is still open: not settled, not expired, not cancelled with the job. */
  boolean isOpen(Lease lease) {
    return leases.get(lease.assignmentId) == lease;
  }

  /** Closes a lease; answers false when it was not open. */
  boolean closeLease(Lease lease) {
    if (leases.remove(lease.assignmentId, lease)) {
      leasesOut[lease.chunkIndex]--;
      return true;
    }
    return false;
  }

  Collection<Lease> openLeases() {
    return List.copyOf(leases.values());
  }

  /**
   * Unanswered leases out at least {@code thresholdMs} whose chunk has no other copy out, oldest
   * first. It walks only the old ones: leases are kept in the order they went out, so the first
   * younger one ends the walk (this runs on every pump once a job's queue is empty; copying every
   * open lease there made a job's tail O(workers) per result).
   */
  List<Lease> stragglers(double thresholdMs) {
    List<Lease> found = new java.util.ArrayList<>();
    for (Lease lease : leases.values()) {
      if (lease.elapsedMs() < thresholdMs) {
        break;
      }
      if (!lease.answered && leasesOut[lease.chunkIndex] == 1) {
        found.add(lease);
      }
    }
    return found;
  }

  /** Open leases of one chunk (the original and any speculative copy). */
  List<Lease> openLeasesOf(int chunk) {
    if (leasesOut[chunk] == 0) {
      return List.of();
    }
    return leases.values().stream().filter(l -> l.chunkIndex == chunk).toList();
  }

  int leasesOut(int chunk) {
    return leasesOut[chunk];
  }

  int attempts(int chunk) {
    return attempts[chunk];
  }

  /** Puts a chunk back at the front of the queue, unless it is done or still out elsewhere. */
  void requeue(int chunk) {
    if (states[chunk] == ChunkState.OUT && leasesOut[chunk] == 0) {
      states[chunk] = ChunkState.PENDING;
      pending.addFirst(chunk);
    }
  }

  boolean isDone(int chunk) {
    return states[chunk] == ChunkState.DONE;
  }

  /** Marks a chunk done (accepted, or read back from the checkpoint) and who is credited for it. */
  void done(int chunk, RunningJob.ChunkCredit credit) {
    credits[chunk] = credit;
    states[chunk] = ChunkState.DONE;
  }

  /** Takes a chunk read back from the checkpoint out of the queue, wherever it is; {@link #done} follows. */
  void unqueue(int chunk) {
    pending.removeFirstOccurrence(chunk);
  }

  /** Records a failure of {@code chunk} on a worker; answers how many distinct workers it failed on. */
  int recordFailure(int chunk, String workerId) {
    Set<String> workers = failedOn.computeIfAbsent(chunk, c -> new HashSet<>());
    workers.add(workerId);
    return workers.size();
  }

  /**
   * Forbids the worker credited with {@code chunk} to compute it again and takes its credit
   * away; answers that worker's id, or null when none was credited.
   */
  String forbidProducer(int chunk) {
    RunningJob.ChunkCredit producer = credits[chunk];
    if (producer != null) {
      forbidden.computeIfAbsent(chunk, c -> new HashSet<>()).add(producer.workerId());
      credits[chunk] = null;
    }
    return producer == null ? null : producer.workerId();
  }

  /** Puts a done chunk back at the front of the queue; answers whether it was done. */
  boolean reopen(int chunk) {
    if (states[chunk] != ChunkState.DONE) {
      return false;
    }
    states[chunk] = ChunkState.PENDING;
    pending.addFirst(chunk);
    return true;
  }

  /** The credits of every chunk, for a product that passed its final check. */
  JsonArray credits() {
    JsonArray all = new JsonArray();
    for (int i = 0; i < credits.length; i++) {
      if (credits[i] != null) {
        all.add(credits[i].toJson(i));
      }
    }
    return all;
  }

  /** Chunks accepted so far per node of the workers that computed them. */
  JsonObject chunksByNode() {
    JsonObject byNode = new JsonObject();
    if (credits != null) {
      for (RunningJob.ChunkCredit credit : credits) {
        if (credit != null) {
          byNode.put(credit.node(), byNode.getInteger(credit.node(), 0) + 1);
        }
      }
    }
    return byNode;
  }
}

package brain.scheduler;

import brain.model.ChunkPlan;
import brain.model.JobMetrics;
import brain.model.JobSpec;
import brain.model.JobStatus;
import brain.model.Stitcher;
import brain.model.Times;
import brain.model.Verification;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A job the scheduler holds, from queued to its end: the chunk states, the pending queue
 * (reassigned chunks go to its front), the leases out, the stitched result and the running
 * sums behind its metrics. Confined to the scheduler's event loop.
 */
final class RunningJob {
  enum ChunkState { PENDING, OUT, DONE }

  final String id;
  final JobSpec spec;
  final String createdAt;
  final String replayOf;
  /** The name of the token that submitted it (null for jobs from before sign-in existed). */
  final String submittedBy;
  final Timeline timeline;

  JobStatus status = JobStatus.QUEUED;
  /** Finer than status while running: preparing, computing, verifying, storing. */
  String phase = "queued";
  String startedAt;
  String completedAt;
  String error;
  long startedNanos;
  double gridTimeMs;

  ChunkPlan plan;
  JobInputs inputs;
  Stitcher stitcher;
  private ChunkState[] states;
  /** Leases not yet settled per chunk (more than one once speculative copies exist). */
  private int[] leasesOut;
  /** How many times each chunk was sent out. */
  private int[] attempts;
  /** Round trips of accepted chunks, for the straggler threshold. */
  private double[] roundTrips;
  private final ArrayDeque<Integer> pending = new ArrayDeque<>();
  /** Leases not yet settled, by assignment id. */
  private final Map<String, Lease> leases = new HashMap<>();
  /** Distinct workers a chunk failed on (reported failures and expiries; wrong results are the worker's fault). */
  private final Map<Integer, Set<String>> failedOn = new HashMap<>();
  /** Workers that may not compute a chunk again: their result for it failed the final check. */
  private final Map<Integer, Set<String>> forbidden = new HashMap<>();
  /** Who computed each accepted chunk and what it is credited, once the product passes its final check. */
  private ChunkCredit[] credits;
  /** Leases opened so far: numbers them for the public timeline. */
  private int leasesOpened;
  /** Times the final check failed and chunks were sent out again. */
  int finalCheckRounds;

  /** The credit of one accepted chunk: granted only when its job's product passes its final check. */
  record ChunkCredit(String workerId, String name, long multiplyAdds, double computeMs, String node) {
    JsonObject toJson(int chunk) {
      return new JsonObject().put("chunk", chunk).put("workerId", workerId).put("name", name)
          .put("multiplyAdds", multiplyAdds).put("computeMs", computeMs);
    }
  }

  int chunksDone;
  /** Chunks whose accepted result is being checkpointed: they count once it is on disk. */
  final Set<Integer> saving = new HashSet<>();
  /** The checkpoint of accepted chunks (open while running; see brain.checkpoint.ChunkLog). */
  brain.checkpoint.ChunkLog checkpoint;
  /** For a job resumed after a failover or restart: the chunk rows of the plan it started with. */
  Integer resumeChunkRows;
  /** For a resumed job: how many chunks its plan had (more than its row panels: 2-D blocks). */
  Integer resumeChunksTotal;
  /** Who schedules it: {nodeId, fence}. */
  JsonObject scheduledBy;
  final Set<String> workersUsed = new LinkedHashSet<>();
  double computeMs;
  /** Multiply-adds of the chunks accepted so far (throughput counts only work done). */
  long multiplyAddsDone;
  double transferMs;
  double roundTripMs;
  long bytes;
  /** B panels (all of B, for a row-slice job) sent to workers so far. */
  int bPanelsSent;
  /** Per session: when it was first sent a chunk of this job, and when its last result was accepted. */
  private final Map<String, long[]> workerWindows = new HashMap<>();
  Verification verification;

  RunningJob(String id, JobSpec spec, String createdAt, String replayOf, String submittedBy, int timelineCapacity,
      java.util.function.Consumer<JsonObject> timelineListener) {
    this.id = id;
    this.spec = spec;
    this.createdAt = createdAt;
    this.replayOf = replayOf;
    this.submittedBy = submittedBy;
    this.timeline = new Timeline(id, timelineCapacity, timelineListener);
  }

  void start(ChunkPlan plan) {
    this.plan = plan;
    this.states = new ChunkState[plan.size()];
    Arrays.fill(states, ChunkState.PENDING);
    this.leasesOut = new int[plan.size()];
    this.attempts = new int[plan.size()];
    this.roundTrips = new double[plan.size()];
    this.credits = new ChunkCredit[plan.size()];
    for (int i = 0; i < plan.size(); i++) {
      pending.addLast(i);
    }
    status = JobStatus.RUNNING;
    phase = "preparing";
    startedAt = Times.now();
    startedNanos = System.nanoTime();
  }

  void attach(JobInputs inputs) {
    this.inputs = inputs;
    this.stitcher = new Stitcher(spec.rowsA(), spec.colsB());
    phase = "computing";
  }

  boolean dispatchable() {
    return status == JobStatus.RUNNING && inputs != null && !pending.isEmpty();
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
  int pendingFor(String workerId, int heldPanel, boolean locked, boolean failedToo, int[] holders) {
    int[] pendingPerPanel = plan.blocked() ? new int[plan.panels()] : null;
    int first = -1;
    int firstOfHeld = -1;
    for (Integer chunk : pending) {
      if (isForbidden(chunk, workerId)) {
        continue;
      }
      Set<String> failed = failedOn.get(chunk);
      if (!failedToo && failed != null && failed.contains(workerId)) {
        continue;
      }
      if (pendingPerPanel == null) {
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
      return -1; // a row-slice job with nothing this worker may take
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
  }

  private boolean isForbidden(int chunk, String workerId) {
    Set<String> workers = forbidden.get(chunk);
    return workers != null && workers.contains(workerId);
  }

  boolean hasPending() {
    return !pending.isEmpty();
  }

  Lease openLease(String assignmentId, int chunk, WorkerSession session, long leaseMs, long bytesOut,
      boolean speculative) {
    Lease lease = new Lease(assignmentId, ++leasesOpened, this, chunk, session, leaseMs, bytesOut, speculative);
    leases.put(assignmentId, lease);
    workerWindows.computeIfAbsent(session.sessionId, s -> new long[] {lease.sentAtNanos, 0});
    leasesOut[chunk]++;
    attempts[chunk]++;
    bytes += bytesOut;
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

  java.util.Collection<Lease> openLeases() {
    return java.util.List.copyOf(leases.values());
  }

  /** Open leases of one chunk (the original and any speculative copy). */
  java.util.List<Lease> openLeasesOf(int chunk) {
    if (leasesOut[chunk] == 0) {
      return java.util.List.of();
    }
    return leases.values().stream().filter(l -> l.chunkIndex == chunk).toList();
  }

  int leasesOut(int chunk) {
    return leasesOut[chunk];
  }

  int attempts(int chunk) {
    return attempts[chunk];
  }

  /**
   * Median round trip of the chunks accepted so far; 0 before any. Sorting is O(n log n), so
   * the value is kept until the job has grown by a tenth or 100 ms have passed.
   */
  double medianRoundTrip() {
    if (chunksDone == 0) {
      return 0;
    }
    long now = System.nanoTime();
    if (medianAt == 0 || chunksDone - medianAt >= Math.max(8, medianAt / 10) || now - medianNanos > 100_000_000L) {
      double[] sorted = Arrays.copyOf(roundTrips, chunksDone);
      Arrays.sort(sorted);
      median = sorted[sorted.length / 2];
      medianAt = chunksDone;
      medianNanos = now;
    }
    return median;
  }

  private double median;
  private int medianAt;
  private long medianNanos;

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

  /** Stitches an accepted slice and adds up its figures; its credit waits for the final check. */
  void accept(Lease lease, float[] slice, double computeMs, double waitMs, double roundTrip, long bytesIn) {
    ChunkPlan.Chunk chunk = plan.get(lease.chunkIndex);
    stitcher.put(chunk.rowStart(), chunk.rows(), chunk.colStart(), chunk.cols(), slice);
    credits[lease.chunkIndex] = new ChunkCredit(lease.session.workerId, lease.session.name,
        multiplyAdds(chunk), computeMs, lease.session.node);
    states[lease.chunkIndex] = ChunkState.DONE;
    roundTrips[chunksDone] = roundTrip;
    chunksDone++;
    workersUsed.add(lease.session.workerId);
    this.computeMs += computeMs;
    this.multiplyAddsDone += multiplyAdds(chunk);
    this.transferMs += Math.max(0, roundTrip - computeMs - waitMs);
    workerWindows.get(lease.session.sessionId)[1] = System.nanoTime();
    this.roundTripMs += roundTrip;
    this.bytes += bytesIn;
    if (chunksDone == plan.size()) {
      gridTimeMs = (System.nanoTime() - startedNanos) / 1e6;
    }
  }

  /** A chunk accepted before a failover or restart, read back from the checkpoint: done, credited at completion. */
  void resume(int chunk, float[] slice, ChunkCredit credit) {
    if (states[chunk] == ChunkState.DONE) {
      return;
    }
    ChunkPlan.Chunk c = plan.get(chunk);
    pending.removeFirstOccurrence(chunk);
    stitcher.put(c.rowStart(), c.rows(), c.colStart(), c.cols(), slice);
    credits[chunk] = credit;
    states[chunk] = ChunkState.DONE;
    roundTrips[chunksDone] = credit.computeMs();
    chunksDone++;
    workersUsed.add(credit.workerId());
    multiplyAddsDone += credit.multiplyAdds();
    computeMs += credit.computeMs();
  }

  /** The multiply-adds of one chunk: its rows × k × its columns. */
  long multiplyAdds(ChunkPlan.Chunk chunk) {
    return (long) chunk.rows() * spec.colsA() * chunk.cols();
  }

  /** Chunks accepted so far per node of the workers that computed them. */
  JsonObject chunksByNode() {
    JsonObject byNode = new JsonObject();
    if (credits != null) {
      for (ChunkCredit credit : credits) {
        if (credit != null) {
          byNode.put(credit.node(), byNode.getInteger(credit.node(), 0) + 1);
        }
      }
    }
    return byNode;
  }

  boolean allChunksDone() {
    return plan != null && chunksDone == plan.size();
  }

  /** Records a failure of {@code chunk} on a worker; answers how many distinct workers it failed on. */
  int recordFailure(int chunk, String workerId) {
    Set<String> workers = failedOn.computeIfAbsent(chunk, c -> new HashSet<>());
    workers.add(workerId);
    return workers.size();
  }

  /**
   * Marks a chunk done earlier as to be computed again (its rows failed the final check), by
   * anyone but the worker that produced it; answers that worker's id.
   */
  String redo(int chunk) {
    ChunkCredit producer = credits[chunk];
    if (producer != null) {
      forbidden.computeIfAbsent(chunk, c -> new HashSet<>()).add(producer.workerId());
      credits[chunk] = null;
    }
    if (states[chunk] == ChunkState.DONE) {
      states[chunk] = ChunkState.PENDING;
      chunksDone--;
      multiplyAddsDone -= multiplyAdds(plan.get(chunk));
      pending.addFirst(chunk);
      phase = "computing";
    }
    return producer == null ? null : producer.workerId();
  }

  /** The credits of every chunk, for a product that passed its final check. */
  io.vertx.core.json.JsonArray credits() {
    io.vertx.core.json.JsonArray all = new io.vertx.core.json.JsonArray();
    for (int i = 0; i < credits.length; i++) {
      if (credits[i] != null) {
        all.add(credits[i].toJson(i));
      }
    }
    return all;
  }

  private long chunkEnvelope = -1;
  private long[] bWire;

  /** Bytes all parts of one B panel take on one worker's socket: the same for every worker of the job. */
  long bWireBytes(String address, int panel) {
    if (bWire == null) {
      bWire = new long[inputs.panels().size()];
      java.util.Arrays.fill(bWire, -1);
    }
    if (bWire[panel] < 0) {
      bWire[panel] = 0;
      for (JobInputs.BPart part : inputs.panels().get(panel).parts()) {
        bWire[panel] += WorkerMessages.wireBytes(address, WorkerMessages.bPart(this, inputs.panels().get(panel), part), "data");
      }
    }
    return bWire[panel];
  }

  /**
   * Bytes a chunk message takes on the socket besides its payload. Measured by encoding the
   * first one; the others differ by a digit or two (counting them exactly would cost a JSON
   * encoding per dispatch).
   */
  long chunkEnvelopeBytes(String address, JsonObject message) {
    if (chunkEnvelope < 0) {
      chunkEnvelope = WorkerMessages.wireBytes(address, message, "a") - message.getString("a").length();
    }
    return chunkEnvelope;
  }

  /** The largest buffer a worker must hold for this job, in bytes: its B panel, or a chunk's A or C. */
  long largestBufferBytes() {
    int cols = plan == null ? spec.colsB() : plan.blockCols();
    long b = (long) spec.colsA() * cols * Float.BYTES;
    int rows = plan == null ? 1 : plan.chunkRows();
    long slice = (long) rows * Math.max(spec.colsA(), cols) * Float.BYTES;
    return Math.max(b, slice);
  }

  /** What a worker holds for one chunk of this job: A panel, B panel and C block ({@link ChunkPlan#chunkMemoryBytes}). */
  long chunkMemoryBytes() {
    return plan == null ? ChunkPlan.chunkMemoryBytes(1, spec.colsA(), spec.colsB())
        : ChunkPlan.chunkMemoryBytes(plan.chunkRows(), spec.colsA(), plan.blockCols());
  }

  JobMetrics metrics() {
    double total = gridTimeMs > 0 ? gridTimeMs : (startedNanos == 0 ? 0 : (System.nanoTime() - startedNanos) / 1e6);
    double workerTime = 0;
    for (long[] window : workerWindows.values()) {
      if (window[1] > 0) {
        workerTime += (window[1] - window[0]) / 1e6;
      }
    }
    return JobMetrics.of(multiplyAddsDone, total, computeMs, workerTime, transferMs, bytes, roundTripMs, chunksDone);
  }

  /** The job view, same shape as the stored one, plus the live {@code phase}. */
  JsonObject view() {
    JsonObject view = new JsonObject()
        .put("id", id)
        .put("status", status.wire())
        .put("phase", phase)
        .put("rowsA", spec.rowsA())
        .put("colsA", spec.colsA())
        .put("colsB", spec.colsB())
        .put("seed", spec.seed())
        .put("verify", spec.verify())
        .put("chunkRows", plan == null ? spec.chunkRows() : Integer.valueOf(plan.chunkRows()))
        .put("blockCols", plan == null || !plan.blocked() ? null : Integer.valueOf(plan.blockCols()))
        .put("bPanelsSent", bPanelsSent)
        .put("createdAt", createdAt)
        .put("startedAt", startedAt)
        .put("completedAt", completedAt)
        .put("chunksTotal", plan == null ? 0 : plan.size())
        .put("chunksDone", chunksDone)
        .put("workersUsed", workersUsed.size())
        .put("replayOf", replayOf)
        .put("submittedBy", submittedBy)
        .put("error", error)
        .put("scheduledBy", scheduledBy)
        .put("chunksByNode", chunksByNode())
        .put("metrics", metrics().toJson());
    if (verification == null) {
      view.putNull("verification");
    } else {
      view.put("verification", verification.toJson());
    }
    return view;
  }
}

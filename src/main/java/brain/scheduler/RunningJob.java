package brain.scheduler;

import brain.model.ChunkPlan;
import brain.model.JobMetrics;
import brain.model.JobSpec;
import brain.model.JobStatus;
import brain.model.Stitcher;
import brain.model.Times;
import brain.model.Verification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A job the scheduler holds, from queued to its end: its lifecycle, plan, inputs and stitched
 * result. The chunk states and leases are in {@link ChunkBook}, the sums behind its metrics in
 * {@link JobTally}, its wire sizes in {@link JobWire}, its JSON in {@link JobView}; this class
 * ties them together as chunks go out, come back and are done again. Confined to the
 * scheduler's event loop.
 */
final class RunningJob {
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
  private final ChunkBook chunks = new ChunkBook();
  /** The running sums behind {@link #metrics()}. */
  final JobTally tally = new JobTally();
  private final JobWire wire = new JobWire();
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
  /** Whether its chunks travel inline on the bus (small payloads, see Dispatch#inline); null until its first dispatch. */
  Boolean inline;
  /** The checkpoint of accepted chunks (open while running; see brain.checkpoint.ChunkLog). */
  brain.checkpoint.ChunkLog checkpoint;
  /** For a job resumed after a failover or restart: the chunk rows of the plan it started with. */
  Integer resumeChunkRows;
  /** For a resumed job: how many chunks its plan had (more than its row panels: 2-D blocks). */
  Integer resumeChunksTotal;
  /** Who schedules it: {nodeId, fence}. */
  JsonObject scheduledBy;
  final Set<String> workersUsed = new LinkedHashSet<>();
  /** B panels (all of B, for a row-slice job) sent to workers so far. */
  int bPanelsSent;
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
    chunks.start(plan);
    tally.start(plan.size());
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
    return status == JobStatus.RUNNING && inputs != null && chunks.hasPending();
  }

  /** See {@link ChunkBook#pendingFor}. */
  int pendingFor(String workerId, String sessionId, int heldPanel, boolean locked, boolean failedToo, int[] holders) {
    return chunks.pendingFor(workerId, sessionId, heldPanel, locked, failedToo, holders);
  }

  /** See {@link ChunkBook#reserveNext}. */
  int reserveNext(String sessionId, String workerId, int depth, int keepPending) {
    return chunks.reserveNext(sessionId, workerId, depth, keepPending);
  }

  /** See {@link ChunkBook#unreserve}. */
  void unreserve(String sessionId) {
    chunks.unreserve(sessionId);
  }

  /** Takes a pending chunk out of the queue (it goes out now). */
  void take(int chunk) {
    chunks.take(chunk);
  }

  boolean hasPending() {
    return chunks.hasPending();
  }

  Lease openLease(String assignmentId, int chunk, WorkerSession session, long leaseMs, long bytesOut,
      boolean speculative) {
    Lease lease = chunks.openLease(this, assignmentId, chunk, session, leaseMs, bytesOut, speculative);
    tally.leaseOpened(session.sessionId, lease.sentAtNanos, bytesOut);
    return lease;
  }

  /** Whether {@code lease} is still open: not settled, not expired, not cancelled with the job. */
  boolean isOpen(Lease lease) {
    return chunks.isOpen(lease);
  }

  /** Closes a lease; answers false when it was not open. */
  boolean closeLease(Lease lease) {
    return chunks.closeLease(lease);
  }

  /** See {@link ChunkBook#stragglers}. */
  List<Lease> stragglers(double thresholdMs) {
    return chunks.stragglers(thresholdMs);
  }

  Collection<Lease> openLeases() {
    return chunks.openLeases();
  }

  /** Open leases of one chunk (the original and any speculative copy). */
  List<Lease> openLeasesOf(int chunk) {
    return chunks.openLeasesOf(chunk);
  }

  int leasesOut(int chunk) {
    return chunks.leasesOut(chunk);
  }

  int attempts(int chunk) {
    return chunks.attempts(chunk);
  }

  /** See {@link JobTally#medianRoundTrip}. */
  double medianRoundTrip() {
    return tally.medianRoundTrip(chunksDone);
  }

  /** Puts a chunk back at the front of the queue, unless it is done or still out elsewhere. */
  void requeue(int chunk) {
    chunks.requeue(chunk);
  }

  boolean isDone(int chunk) {
    return chunks.isDone(chunk);
  }

  /** Stitches an accepted slice and adds up its figures; its credit waits for the final check. */
  void accept(Lease lease, float[] slice, double computeMs, double waitMs, double roundTrip, long bytesIn) {
    ChunkPlan.Chunk chunk = plan.get(lease.chunkIndex);
    stitcher.put(chunk.rowStart(), chunk.rows(), chunk.colStart(), chunk.cols(), slice);
    chunks.done(lease.chunkIndex, new ChunkCredit(lease.session.workerId, lease.session.name,
        multiplyAdds(chunk), computeMs, lease.session.node));
    tally.accepted(chunksDone, lease.session.sessionId, lease.sentAtNanos, multiplyAdds(chunk), computeMs, waitMs,
        roundTrip, bytesIn);
    chunksDone++;
    workersUsed.add(lease.session.workerId);
    if (chunksDone == plan.size()) {
      gridTimeMs = (System.nanoTime() - startedNanos) / 1e6;
    }
  }

  /** A chunk accepted before a failover or restart, read back from the checkpoint: done, credited at completion. */
  void resume(int chunk, float[] slice, ChunkCredit credit) {
    if (chunks.isDone(chunk)) {
      return;
    }
    ChunkPlan.Chunk c = plan.get(chunk);
    chunks.unqueue(chunk);
    stitcher.put(c.rowStart(), c.rows(), c.colStart(), c.cols(), slice);
    chunks.done(chunk, credit);
    tally.resumed(chunksDone, credit.multiplyAdds(), credit.computeMs());
    chunksDone++;
    workersUsed.add(credit.workerId());
  }

  /** The multiply-adds of one chunk: its rows × k × its columns. */
  long multiplyAdds(ChunkPlan.Chunk chunk) {
    return (long) chunk.rows() * spec.colsA() * chunk.cols();
  }

  /** Chunks accepted so far per node of the workers that computed them. */
  JsonObject chunksByNode() {
    return chunks.chunksByNode();
  }

  boolean allChunksDone() {
    return plan != null && chunksDone == plan.size();
  }

  /** Records a failure of {@code chunk} on a worker; answers how many distinct workers it failed on. */
  int recordFailure(int chunk, String workerId) {
    return chunks.recordFailure(chunk, workerId);
  }

  /**
   * Marks a chunk done earlier as to be computed again (its rows failed the final check), by
   * anyone but the worker that produced it; answers that worker's id.
   */
  String redo(int chunk) {
    String producer = chunks.forbidProducer(chunk);
    if (chunks.reopen(chunk)) {
      chunksDone--;
      tally.multiplyAddsDone -= multiplyAdds(plan.get(chunk));
      phase = "computing";
    }
    return producer;
  }

  /** The credits of every chunk, for a product that passed its final check. */
  JsonArray credits() {
    return chunks.credits();
  }

  /** See {@link JobWire#bWireBytes}. */
  long bWireBytes(String address, int panel) {
    return wire.bWireBytes(this, address, panel);
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
    return tally.metrics(total, chunksDone);
  }

  /** The job view, same shape as the stored one, plus the live {@code phase}. */
  JsonObject view() {
    return JobView.of(this);
  }
}

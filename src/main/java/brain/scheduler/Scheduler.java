package brain.scheduler;

import brain.checkpoint.ChunkLog;
import brain.model.ApiError;
import brain.model.ChunkPlan;
import brain.model.JobSpec;
import brain.model.JobStatus;
import brain.trust.TrustRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The grid's brain for one elected term: the job queue and the worker pool, with its rooms:
 * {@link Membership} (workers join and leave), {@link Dispatch} (work out), {@link Settlement} (results in), {@link Completion} (checkpoint,
 * counting, the job's end), {@link FinalCheck} and {@link Recovery} (jobs taken over). Every
 * method runs on the scheduler verticle's thread; the heavy parts (input generation, payload
 * decoding, checks, checkpoint files) go to worker threads through a compute executor of their
 * own, and their outcome is applied back on the scheduler's thread.
 */
final class Scheduler {

  private final Vertx vertx;
  private final SchedulerSettings settings;
  private final WorkerPool pool = new WorkerPool();
  final Map<String, RunningJob> queued = new LinkedHashMap<>();
  final Map<String, RunningJob> running = new LinkedHashMap<>();
  /** Jobs with a final status whose final row is being stored: still answered from here meanwhile. */
  final Map<String, RunningJob> ending = new LinkedHashMap<>();
  /** Whose job was started last: the next start goes to the next requestor in turn. */
  private String lastStartedFor;

  private final SchedulerFeeds feeds;
  private final WorkerExecutor compute;
  private final TrustRegistry trust;
  private final Settlement settlement;
  private final Dispatch dispatch;
  private final Membership membership;
  private final Completion completion;
  private final Term term;
  final DataPlane data;

  /** {@code compute} runs the heavy work: input generation, result checks, verification, checkpoints. */
  Scheduler(Vertx vertx, SchedulerSettings settings, WorkerExecutor compute, Term term) {
    this.vertx = vertx;
    this.settings = settings;
    this.compute = compute;
    this.term = term;
    this.feeds = new SchedulerFeeds(vertx, pool::sessions, term);
    this.trust = new TrustRegistry(settings.trust());
    this.dispatch = new Dispatch(vertx, settings, pool, term, running::values);
    this.membership = new Membership(vertx, settings, pool, trust, feeds);
    this.completion = new Completion(vertx, this, settings, pool, feeds, compute, term);
    this.settlement = new Settlement(vertx, this, settings, pool, trust, feeds, compute, running::get);
    this.data = new DataPlane(pool, settlement, running::get, term);
    completion.finalCheck(new FinalCheck(vertx, this, settings, feeds, compute, term));
  }

  Future<Void> flushJoins() {
    return feeds.flushJoins();
  }

  void flushTimeline() {
    feeds.flushTimeline();
  }

  // ---------------------------------------------------------------- jobs

  /** Takes an accepted job, {view, spec}, already stored as queued. */
  void enqueue(JsonObject job) {
    enqueue(job, false);
  }

  /** A job taken over from the last scheduler; {@code chunkRows}: the plan it started with, null if it had not. */
  void enqueueRecovered(JsonObject accepted, Integer chunkRows) {
    RunningJob job = enqueue(accepted, true);
    job.resumeChunkRows = chunkRows;
    // With the chunk rows, the count of chunks names a 2-D-block plan's columns too (JobPlans.resumed).
    job.resumeChunksTotal = chunkRows == null ? null : accepted.getJsonObject("view").getInteger("chunksTotal");
  }

  /** Recovered jobs were accepted before a restart: they are never refused for a full queue. */
  private RunningJob enqueue(JsonObject accepted, boolean recovered) {
    if (!recovered && queued.size() >= settings.maxQueuedJobs()) {
      throw new ApiError(503, "the queue is full (" + queued.size() + " jobs waiting); try again later");
    }
    JsonObject view = accepted.getJsonObject("view");
    RunningJob known = active(view.getString("id"));
    if (known != null) {
      return known; // enqueued and recovered both (submitted as this term began): held once
    }
    JobSpec spec = JobSpec.fromStored(accepted.getJsonObject("spec"));
    String submittedBy = view.getString("submittedBy");
    RunningJob job = new RunningJob(view.getString("id"), spec, view.getString("createdAt"),
        view.getString("replayOf"), submittedBy, settings.timelineCapacity(), e -> feeds.timelineEvent(submittedBy, e));
    job.scheduledBy = new JsonObject().put("nodeId", term.nodeId()).put("fence", term.fence());
    queued.put(job.id, job);
    job.timeline.add("queued", null, null, null, null);
    feeds.changed(job);
    // Started on the next turn of this thread: a recovered job gets its resume plan first.
    vertx.runOnContext(v -> startJobs());
    return job;
  }

  JsonObject view(String id) {
    RunningJob job = active(id);
    // An ending job's final row is still being written: its view is the database's until then, so
    // a client that sees "completed" finds the job, its credits and the leaderboard final.
    return job == null || ending.containsKey(id) ? null : job.view();
  }

  JsonArray timeline(String id) {
    RunningJob job = active(id);
    return job == null ? null : job.timeline.events().copy();
  }

  /**
   * Whether this term holds the job (queued, running, or being stored as ended) or ended it
   * lately: a sweep's read of unfinished jobs may predate the end's write.
   */
  boolean holds(String id) {
    return active(id) != null || recentlyEnded.contains(id);
  }

  /** A job whose final row is stored: remembered a while, so that no stale read starts it again. */
  void ended(String id) {
    ending.remove(id);
    recentlyEnded.add(id);
    if (recentlyEnded.size() > RECENTLY_ENDED) {
      recentlyEnded.remove(recentlyEnded.iterator().next());
    }
  }

  private static final int RECENTLY_ENDED = 1000;
  private final java.util.Set<String> recentlyEnded = new java.util.LinkedHashSet<>();

  private RunningJob active(String id) {
    RunningJob job = running.get(id);
    if (job == null) {
      job = queued.get(id);
    }
    return job != null ? job : ending.get(id);
  }

  /**
   * Cancels a queued or running job; null when this scheduler does not hold it. The view comes
   * once the cancellation is stored, so a client that reads the job back finds it cancelled.
   */
  Future<JsonObject> cancel(String id) {
    RunningJob job = active(id);
    if (job == null) {
      return null;
    }
    if (job.status.finished()) {
      throw ApiError.conflict("job " + id + " is already " + job.status.wire()
          + "; only queued or running jobs can be cancelled");
    }
    Future<Void> stored = end(job, JobStatus.CANCELLED, "cancelled by request");
    JsonObject view = job.view();
    return stored.map(v -> view);
  }

  /**
   * Starts queued jobs while there is room, taking requestors in turn (round robin, each one's
   * oldest job first): one requestor with a thousand jobs queued cannot starve the others.
   */
  void startJobs() {
    while (term.mayAct() && running.size() < settings.maxRunningJobs() && !queued.isEmpty() && pool.anyListening()) {
      RunningJob job = nextInTurn();
      queued.remove(job.id);
      lastStartedFor = job.submittedBy;
      start(job);
    }
  }

  /** The oldest queued job of the first requestor after the one served last (in order of their oldest job). */
  private RunningJob nextInTurn() {
    Map<String, RunningJob> oldestByRequestor = new LinkedHashMap<>();
    for (RunningJob job : queued.values()) {
      oldestByRequestor.putIfAbsent(String.valueOf(job.submittedBy), job);
    }
    if (oldestByRequestor.size() == 1) {
      return oldestByRequestor.values().iterator().next();
    }
    List<String> order = new ArrayList<>(oldestByRequestor.keySet());
    order.sort(null); // a stable ring of requestors
    int after = order.indexOf(String.valueOf(lastStartedFor));
    String next = order.get(after < 0 ? 0 : (after + 1) % order.size());
    if (after < 0) {
      // Nobody served yet (or that requestor has nothing queued): the one waiting longest.
      return queued.values().iterator().next();
    }
    return oldestByRequestor.get(next);
  }

  private void start(RunningJob job) {
    JobSpec spec = job.spec;
    int workers = (int) Math.max(1, pool.listeningCount());
    int chunkRows = job.resumeChunkRows != null ? job.resumeChunkRows : spec.chunkRows() != null ? spec.chunkRows()
        : ChunkPlan.autoChunkRows(spec.rowsA(), spec.colsA(), spec.colsB(), workers, settings.chunksPerWorker(),
            settings.maxChunkBytes(), settings.minOpsPerChunk());
    ChunkPlan plan = job.resumeChunkRows != null && job.resumeChunksTotal != null
        ? JobPlans.resumed(spec, job.resumeChunkRows, job.resumeChunksTotal)
        : JobPlans.choose(spec, chunkRows, JobPlans.smallestBudget(pool.sessions(), settings.minMemoryBytes()),
            settings.maxChunkBytes());
    job.start(plan);
    running.put(job.id, job);
    // Generating and encoding the inputs is O(size of A and B), and the checkpoint is files: worker
    // threads' jobs, side by side (neither needs the other), asked for before this thread
    // announces and stores the start (their hop to a worker thread fell from 0.5 to 0.3 ms; the
    // first dispatch of a 512³ job came no sooner, docs/BENCHMARK.md).
    Future<JobInputs> inputs = compute.executeBlocking(() -> JobInputs.prepare(job.id, spec, plan, settings.bPartBytes(),
        settings.preparedVectors(), settings.groupColumns(), settings.storageDir(), settings.heldInputsMaxBytes()), false);
    Future<List<ChunkLog.Accepted>> checkpointed = compute.executeBlocking(() -> Recovery.load(job, settings.storageDir()),
        false);
    job.timeline.add("started", null, null, null, plan.size() + (plan.blocked()
        ? " blocks of " + plan.chunkRows() + "×" + plan.blockCols() + " (" + plan.rowPanels() + " row panels × "
            + plan.panels() + " column panels)"
        : " chunks of " + plan.chunkRows() + " rows"));
    feeds.persist(new JsonObject().put("id", job.id).put("status", job.status.wire()).put("startedAt", job.startedAt)
        .put("chunkRows", plan.chunkRows()).put("chunksTotal", plan.size()));
    feeds.changed(job);
    Future.all(inputs, checkpointed).onComplete(ar -> {
      if (job.status != JobStatus.RUNNING) {
        return;
      }
      if (ar.failed()) {
        end(job, JobStatus.FAILED, "could not prepare the inputs: " + ar.cause().getMessage());
        return;
      }
      job.attach(inputs.result());
      Recovery.apply(job, checkpointed.result());
      feeds.changed(job);
      if (job.allChunksDone()) {
        completion.checkAll(job);
      }
      pump();
    });
  }

  // ---------------------------------------------------------------- workers (Membership)

  JsonObject register(String peerId, String remoteAddress, String node, Object body, boolean signedIn) {
    return membership.register(peerId, remoteAddress, node, body, signedIn);
  }

  void peerListening(String peerId) {
    if (membership.peerListening(peerId)) {
      startJobs();
      pump();
    }
  }

  void workerLost(String sessionId, String reason) {
    membership.workerLost(sessionId, reason);
    running.values().forEach(job -> job.unreserve(sessionId)); // its chunks set aside are anyone's
    pump();
  }

  void nodeLeft(String nodeId) {
    membership.nodeLeft(nodeId);
    pump();
  }

  void excludeIdentity(String workerId, String address, RunningJob job, String why) {
    membership.excludeIdentity(workerId, address, job, why);
  }

  String addressOf(String workerId) {
    return membership.addressOf(workerId);
  }

  JsonArray workers(Map<String, Long> lastHeartbeat) {
    return pool.view(lastHeartbeat);
  }

  JsonObject stats() {
    return new JsonObject()
        .put("activeWorkers", pool.size())
        .put("busyWorkers", pool.sessions().stream().filter(s -> !s.inFlight.isEmpty()).count())
        .put("jobsQueued", queued.size())
        .put("jobsRunning", running.size())
        .put("jobsCompletedSinceStart", completion.jobsCompleted)
        .put("avgResponseTimeMs", completion.averageRoundTrip());
  }

  // ---------------------------------------------------------------- rooms

  void pump() {
    dispatch.pump();
  }

  void withdraw(Lease lease, boolean notNeeded) {
    dispatch.withdraw(lease, notNeeded);
  }

  // ---------------------------------------------------------------- results

  void onResult(String peerId, Object body) {
    settlement.onResult(peerId, body);
  }

  void onFailure(String peerId, Object body) {
    settlement.onFailure(peerId, body);
  }

  void expireLeases() {
    settlement.expireLeases(List.copyOf(running.values()));
  }

  void accept(Lease lease, float[] values, double computeMs, double waitMs, double roundTrip, long bytesIn) {
    completion.accept(lease, values, computeMs, waitMs, roundTrip, bytesIn);
  }

  Future<Void> end(RunningJob job, JobStatus status, String error) {
    return completion.end(job, status, error);
  }

  /** Jobs stored as queued or running when the last scheduler stopped: resumed from their checkpoints. */
  void recover(JsonArray unfinished) {
    Recovery.recover(this, unfinished);
  }
}

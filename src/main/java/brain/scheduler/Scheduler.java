package brain.scheduler;

import static java.lang.System.Logger.Level.INFO;

import brain.bus.Addresses;
import brain.model.ApiError;
import brain.model.ChunkPlan;
import brain.model.JobSpec;
import brain.model.JobStatus;
import brain.model.Times;
import brain.trust.TrustRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The grid's brain: the job queue, the worker pool, dispatch, leases, result settlement,
 * reassignment and completion. Every method runs on the scheduler verticle's event loop; the
 * heavy parts (input generation, payload decoding, checks) go to worker threads through
 * a compute executor of their own (not the scheduler's thread, which must stay free to
 * dispatch), and their outcome is applied back on the scheduler's thread.
 */
final class Scheduler {
  private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());
  private static final SecureRandom IDS = new SecureRandom();
  private static final int RECENTLY_ENDED = 200;

  private final Vertx vertx;
  private final SchedulerSettings settings;
  private final WorkerPool pool = new WorkerPool();
  private final Map<String, RunningJob> queued = new LinkedHashMap<>();
  private final Map<String, RunningJob> running = new LinkedHashMap<>();
  /** Jobs with a final status whose final row is being stored: still answered from here meanwhile. */
  private final Map<String, RunningJob> ending = new LinkedHashMap<>();
  private long jobsCompleted;
  /** Whose job was started last: the next start goes to the next requestor in turn. */
  private String lastStartedFor;
  /** Round trips of the last accepted chunks: the grid's "average response time". */
  private final double[] recentRoundTrips = new double[100];
  private long roundTripsSeen;

  private final SchedulerFeeds feeds;
  private final WorkerExecutor compute;
  private final TrustRegistry trust;
  private final Settlement settlement;
  private final FinalCheck finalCheck;

  /** {@code compute} runs the heavy work: input generation, result checks, verification. */
  Scheduler(Vertx vertx, SchedulerSettings settings, WorkerExecutor compute) {
    this.vertx = vertx;
    this.settings = settings;
    this.compute = compute;
    this.feeds = new SchedulerFeeds(vertx, pool::sessions);
    this.trust = new TrustRegistry(settings.trust());
    this.settlement = new Settlement(vertx, this, settings, pool, trust, feeds, compute, running::get);
    this.finalCheck = new FinalCheck(vertx, this, settings, feeds, compute);
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

  /** Recovered jobs were accepted before a restart: they are never refused for a full queue. */
  private void enqueue(JsonObject accepted, boolean recovered) {
    if (!recovered && queued.size() >= settings.maxQueuedJobs()) {
      throw new ApiError(503, "the queue is full (" + queued.size() + " jobs waiting); try again later");
    }
    JsonObject view = accepted.getJsonObject("view");
    JobSpec spec = JobSpec.fromStored(accepted.getJsonObject("spec"));
    String submittedBy = view.getString("submittedBy");
    RunningJob job = new RunningJob(view.getString("id"), spec, view.getString("createdAt"),
        view.getString("replayOf"), submittedBy, settings.timelineCapacity(), e -> feeds.timelineEvent(submittedBy, e));
    queued.put(job.id, job);
    job.timeline.add("queued", null, null, null, null);
    feeds.changed(job);
    startJobs();
  }

  JsonObject view(String id) {
    RunningJob job = active(id);
    return job == null ? null : job.view();
  }

  JsonArray timeline(String id) {
    RunningJob job = active(id);
    return job == null ? null : job.timeline.events().copy();
  }

  private RunningJob active(String id) {
    RunningJob job = running.get(id);
    if (job == null) {
      job = queued.get(id);
    }
    return job != null ? job : ending.get(id);
  }

  /** Cancels a queued or running job; null when this scheduler does not hold it. */
  JsonObject cancel(String id) {
    RunningJob job = active(id);
    if (job == null) {
      return null;
    }
    if (job.status.finished()) {
      throw ApiError.conflict("job " + id + " is already " + job.status.wire()
          + "; only queued or running jobs can be cancelled");
    }
    end(job, JobStatus.CANCELLED, "cancelled by request");
    return job.view();
  }

  /**
   * Starts queued jobs while there is room, taking requestors in turn (round robin, each one's
   * oldest job first): one requestor with a thousand jobs queued cannot starve the others.
   */
  private void startJobs() {
    while (running.size() < settings.maxRunningJobs() && !queued.isEmpty() && pool.anyListening()) {
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
    int chunkRows = spec.chunkRows() != null ? spec.chunkRows()
        : ChunkPlan.autoChunkRows(spec.rowsA(), spec.colsA(), spec.colsB(), workers, settings.chunksPerWorker(),
            settings.maxChunkBytes(), settings.minOpsPerChunk());
    ChunkPlan plan = ChunkPlan.of(spec.rowsA(), chunkRows);
    job.start(plan);
    running.put(job.id, job);
    job.timeline.add("started", null, null, null, plan.size() + " chunks of " + plan.chunkRows() + " rows");
    feeds.persist(new JsonObject().put("id", job.id).put("status", job.status.wire()).put("startedAt", job.startedAt)
        .put("chunkRows", plan.chunkRows()).put("chunksTotal", plan.size()));
    feeds.changed(job);
    // Generating and encoding the inputs is O(size of A and B): a worker thread's job.
    compute.executeBlocking(() -> JobInputs.prepare(spec, plan, settings.bPartBytes(),
        settings.preparedVectors(), settings.groupColumns(), settings.storageDir()), false)
        .onComplete(ar -> {
          if (job.status != JobStatus.RUNNING) {
            return;
          }
          if (ar.failed()) {
            end(job, JobStatus.FAILED, "could not prepare the inputs: " + ar.cause().getMessage());
            return;
          }
          job.attach(ar.result());
          feeds.changed(job);
          pump();
        });
  }

  // ---------------------------------------------------------------- workers

  /** {@code signedIn}: the worker presented a valid requestor or admin token (it may then join a private grid without the key). */
  JsonObject register(String peerId, String remoteAddress, Object body, boolean signedIn) {
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
      session = new WorkerSession("s-" + newId(), peerId, remoteAddress, registration, slots, level);
      session.excludedUntil = trust.excludedUntil(workerId); // a new session does not end its identity's exclusion
      pool.add(session);
      vertx.eventBus().publish(Addresses.WORKERS_JOINED, new JsonObject().put("sessionId", session.sessionId)
          .put("peerId", peerId).put("workerId", session.workerId));
      feeds.joined(session);
      LOG.log(INFO, "worker " + session.name + " (" + session.engine + ", " + session.adapter + ") joined as "
          + session.sessionId);
    } else {
      session.name = registration.getString("name");
    }
    return new JsonObject()
        .put("sessionId", session.sessionId)
        .put("address", session.address())
        .put("slots", session.slots)
        .put("heartbeatIntervalMs", settings.heartbeatIntervalMs())
        .put("heartbeatTimeoutMs", settings.heartbeatTimeoutMs())
        .put("maxResultBytes", settings.maxMessageBytes());
  }

  void peerListening(String peerId) {
    if (pool.peerListening(peerId) != null) {
      startJobs();
      pump();
    }
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
    pump();
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
        .put("jobsCompletedSinceStart", jobsCompleted)
        .put("avgResponseTimeMs", averageRoundTrip());
  }

  private double averageRoundTrip() {
    int n = (int) Math.min(roundTripsSeen, recentRoundTrips.length);
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += recentRoundTrips[i];
    }
    return n == 0 ? 0 : Math.round(sum / n * 10) / 10.0;
  }

  // ---------------------------------------------------------------- dispatch

  /**
   * Gives pending chunks to workers with free slots, oldest job first, round robin over
   * workers (never to an excluded one, and preferably not a chunk it already failed); then,
   * with slots still free, speculative copies of stragglers.
   */
  void pump() {
    long now = System.currentTimeMillis();
    for (RunningJob job : List.copyOf(running.values())) {
      while (job.dispatchable()) {
        WorkerSession session = pool.take(s -> s.canTake(job) && !s.excluded(now) && job.hasPendingFor(s.workerId, false));
        if (session == null) {
          session = pool.take(s -> s.canTake(job) && !s.excluded(now) && job.hasPendingFor(s.workerId, true));
        }
        if (session == null) {
          break;
        }
        dispatch(session, job, job.takePendingFor(session.workerId), false);
        pool.offer(session);
      }
    }
    speculate(now);
  }

  /**
   * A straggler is a chunk out longer than {@code factor} × the job's median round trip (and
   * at least {@code minMs}), once {@code minDoneFraction} of the job is done and nothing else
   * is pending: an idle worker gets a copy, the first valid result wins, the other is cancelled.
   */
  private void speculate(long now) {
    if (!pool.mayHaveFreeSlot()) {
      return;
    }
    for (RunningJob job : List.copyOf(running.values())) {
      if (job.status != JobStatus.RUNNING || job.inputs == null || job.hasPending()
          || job.chunksDone < settings.speculationMinDoneFraction() * job.plan.size()) {
        continue;
      }
      double threshold = Math.max(settings.speculationMinMs(), settings.speculationFactor() * job.medianRoundTrip());
      for (Lease lease : job.openLeases()) {
        if (lease.answered || job.leasesOut(lease.chunkIndex) > 1 || lease.elapsedMs() < threshold) {
          continue;
        }
        WorkerSession copyHolder = pool.take(s -> !s.workerId.equals(lease.session.workerId) && s.canTake(job)
            && !s.excluded(now) && s.trust != TrustRegistry.Level.SUSPECT);
        if (copyHolder == null) {
          return;
        }
        dispatch(copyHolder, job, lease.chunkIndex, true);
        pool.offer(copyHolder);
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

  private void dispatch(WorkerSession session, RunningJob job, int chunk, boolean speculative) {
    String address = session.address();
    if (session.jobsWithB.add(job.id)) {
      for (JobInputs.BPart part : job.inputs.bParts()) {
        vertx.eventBus().send(address, WorkerMessages.bPart(job, part));
      }
      job.bytes += job.bWireBytes(address);
    }
    String assignmentId = newId();
    JsonObject message = WorkerMessages.chunk(job, chunk, assignmentId, settings.leaseMs());
    Lease lease = job.openLease(assignmentId, chunk, session, settings.leaseMs(),
        job.chunkEnvelopeBytes(address, message) + job.inputs.aSlices()[chunk].length(), speculative);
    session.inFlight.put(assignmentId, lease);
    vertx.eventBus().send(address, message);
    int attempt = job.attempts(chunk);
    brain.metrics.GridMeters.of(vertx).dispatched(attempt > 1 && !speculative); // GridMeters hook
    job.timeline.add(speculative ? "speculate" : "dispatch", chunk, session, lease,
        attempt > 1 ? "attempt " + attempt : null);
  }

  /** Takes a lease back from its worker (another copy won, or it expired), telling the worker. */
  void withdraw(Lease lease) {
    lease.session.inFlight.remove(lease.assignmentId);
    vertx.eventBus().send(lease.session.address(), WorkerMessages.cancel(List.of(lease.assignmentId)));
    pool.offer(lease.session);
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

  /** A checked result is in: the chunk is stitched; its credit waits for the job's final check. */
  void accept(Lease lease, float[] values, double computeMs, double waitMs, double roundTrip, long bytesIn) {
    RunningJob job = lease.job;
    WorkerSession session = lease.session;
    job.closeLease(lease);
    job.accept(lease, values, computeMs, waitMs, roundTrip, bytesIn);
    brain.metrics.GridMeters.of(vertx).accepted(roundTrip); // GridMeters hook
    session.chunksDone++;
    session.computeMs += computeMs;
    session.consecutiveFailures = 0;
    ChunkPlan.Chunk chunk = job.plan.get(lease.chunkIndex);
    session.recordSpeed((long) chunk.rows() * job.spec.colsA() * job.spec.colsB(), computeMs);
    recentRoundTrips[(int) (roundTripsSeen++ % recentRoundTrips.length)] = roundTrip;
    job.timeline.add("done", lease.chunkIndex, session, lease, lease.speculative ? "speculative copy won" : null);
    for (Lease loser : job.openLeasesOf(lease.chunkIndex)) {
      job.closeLease(loser);
      withdraw(loser);
      job.timeline.add("cancelled", loser.chunkIndex, loser.session, loser, "another copy won");
    }
    feeds.progressed(job);
    if (job.allChunksDone()) {
      finalCheck.run(job);
    }
  }

  // ---------------------------------------------------------------- completion

  /** Ends a job in any final status: settles leases, frees workers' copies of B, stores the final view. */
  void end(RunningJob job, JobStatus status, String error) {
    job.status = status;
    job.phase = status.wire();
    job.error = error;
    job.completedAt = Times.now();
    Map<WorkerSession, List<String>> toCancel = new LinkedHashMap<>();
    for (Lease lease : job.openLeases()) {
      job.closeLease(lease);
      job.timeline.add("cancelled", lease.chunkIndex, lease.session, lease, "job " + status.wire());
      if (lease.session.inFlight.remove(lease.assignmentId) != null) {
        toCancel.computeIfAbsent(lease.session, s -> new ArrayList<>()).add(lease.assignmentId);
      }
    }
    toCancel.forEach((session, ids) -> {
      vertx.eventBus().send(session.address(), WorkerMessages.cancel(ids));
      pool.offer(session);
    });
    for (WorkerSession session : pool.sessions()) {
      if (session.jobsWithB.remove(job.id)) {
        vertx.eventBus().send(session.address(), WorkerMessages.release(job.id));
      }
    }
    job.timeline.add(status.wire(), null, null, null, error);
    if (status == JobStatus.COMPLETED) {
      jobsCompleted++;
    }
    JsonObject finalView = job.view();
    job.inputs = null;
    job.stitcher = null;
    LOG.log(INFO, "job " + job.id + " " + status.wire() + (error == null ? "" : ": " + error));
    // Stored (and its workers credited) before anyone hears of it: a client that reacts to the
    // news and reads the job back finds it final.
    running.remove(job.id);
    queued.remove(job.id);
    ending.put(job.id, job);
    // Joins first: the database writes in the order it is asked, so a worker's first credit
    // row counts exactly the sessions whose joins it did not see.
    Future<Void> joins = feeds.flushJoins();
    Future<Void> credited = status == JobStatus.COMPLETED ? feeds.grantCredits(job.id, job.credits(), pool::sessionsJoined)
        : Future.succeededFuture();
    Future.join(storeWithTimeline(job, finalView.copy()), credited, joins)
        .onComplete(done -> {
          ending.remove(job.id);
          feeds.ended(finalView);
        });
    startJobs();
    pump();
  }

  /**
   * Stores {@code changes} with the job's timeline. A timeline can hold tens of thousands of
   * events: it is encoded off this thread and sent as text (an event-bus message would
   * deep-copy it). The list is snapshotted first (events never change once added) because a
   * late refusal may still append to the live one.
   */
  private Future<Void> storeWithTimeline(RunningJob job, JsonObject changes) {
    JsonArray events = new JsonArray(new ArrayList<>(job.timeline.events().getList()));
    return compute.executeBlocking(events::encode, false)
        .compose(timeline -> feeds.persist(changes.put("timeline", timeline)));
  }

  /** 128 random bits, base64url: unguessable ids for sessions and leases. */
  private static String newId() {
    byte[] bytes = new byte[16];
    IDS.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Jobs stored as queued or running when the server last stopped: they run again, from the start. */
  void recover(JsonArray unfinished) {
    for (int i = 0; i < unfinished.size(); i++) {
      JsonObject job = unfinished.getJsonObject(i);
      JsonObject view = job.getJsonObject("view");
      feeds.persist(new JsonObject().put("id", view.getString("id")).put("status", JobStatus.QUEUED.wire())
          .put("chunksDone", 0));
      enqueue(job, true);
      LOG.log(INFO, "job " + view.getString("id") + " was not finished before the last stop; queued again");
    }
  }
}

package brain.scheduler;

import brain.model.ApiError;
import brain.model.ChunkPlan;
import brain.model.JobStatus;
import brain.trust.TrustRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.function.Function;

/**
 * Settles what workers send about their leases: results (checked off the scheduler's thread,
 * then accepted or refused), failure reports and expiries. Who is at fault decides what a
 * refusal costs: a wrong result is the worker's (its identity is excluded; the chunk simply
 * goes to someone else), a reported failure or an expiry counts against the chunk only when
 * the worker has a record of verified work, so cheaters cannot fail an honest job. Messages
 * from sockets that hold no such lease cost nothing but, at most, one timeline event per
 * session and job, and never a database write. Confined to the scheduler's thread.
 */
final class Settlement {

  /** Why a lease is being closed without its result. */
  enum Fault { WRONG_RESULT, REPORTED, EXPIRED }

  private final Vertx vertx;
  private final Scheduler scheduler;
  private final SchedulerSettings settings;
  private final WorkerPool pool;
  private final TrustRegistry trust;
  private final SchedulerFeeds feeds;
  private final WorkerExecutor compute;
  private final Function<String, RunningJob> runningJob;

  Settlement(Vertx vertx, Scheduler scheduler, SchedulerSettings settings, WorkerPool pool, TrustRegistry trust,
      SchedulerFeeds feeds, WorkerExecutor compute, Function<String, RunningJob> runningJob) {
    this.vertx = vertx;
    this.scheduler = scheduler;
    this.settings = settings;
    this.pool = pool;
    this.trust = trust;
    this.feeds = feeds;
    this.compute = compute;
    this.runningJob = runningJob;
  }

  void onResult(String peerId, Object body) {
    Inbound.LeaseRef ref = Inbound.resultRef(body);
    Lease lease = ownedLease(peerId, ref);
    if (lease == null) {
      return;
    }
    Inbound.Times times;
    try {
      times = Inbound.resultTimes(Inbound.object(body));
    } catch (ApiError malformed) {
      lease.session.inFlight.remove(lease.assignmentId);
      pool.offer(lease.session);
      refuse(lease, "rejected", malformed.getMessage(), Fault.WRONG_RESULT);
      scheduler.pump();
      return;
    }
    int count = lease.resultValues();
    check(lease, times.computeMs(), times.waitMs(), ResultCheck.base64(times.data(), count),
        times.data().length() + 200L);
  }

  /**
   * Protocol 2: the body of {@code PUT /data/results/<assignmentId>}, already bound to its lease
   * by {@link DataPlane} (this session's capability, open lease, exact length, first upload).
   */
  void onUpload(Lease lease, double computeMsHint, double waitMsHint, io.vertx.core.buffer.Buffer body) {
    int count = lease.resultValues();
    lease.session.dataBytesOut += body.length();
    check(lease, computeMsHint, waitMsHint, ResultCheck.littleEndian(body, count), body.length() + 200L);
  }

  private void check(Lease lease, double computeMsHint, double waitMsHint, java.util.function.Supplier<float[]> values,
      long bytesIn) {
    WorkerSession session = lease.session;
    long now = System.nanoTime();
    // The compute cannot have begun before the chunk went out, nor before the worker's previous
    // result came back (it works its chunks in turn): what the server saw bounds what it credits.
    double serviceMs = (now - Math.max(lease.sentAtNanos, session.lastResultNanos)) / 1e6;
    session.lastResultNanos = now;
    session.inFlight.remove(lease.assignmentId);
    pool.offer(session);
    RunningJob job = lease.job;
    double roundTrip = lease.elapsedMs();
    double computeMs = Math.min(computeMsHint, serviceMs);
    double waitMs = Math.min(waitMsHint, Math.max(0, roundTrip - computeMs));
    ChunkPlan.Chunk chunk = job.plan.get(lease.chunkIndex);
    lease.answered = true;
    ResultCheck.Strictness strictness = ResultCheck.Strictness.of(session.trust, settings);
    ResultCheck.run(compute, job.inputs, chunk, job.spec.colsA(), strictness, values)
        .onComplete(ar -> settle(lease, ar, computeMs, waitMs, roundTrip, bytesIn));
    scheduler.pump();
  }

  /**
   * Protocol 2: an upload announced with the wrong size is a wrong result, as a result message
   * whose data has the wrong length is: the lease is refused (the worker hears why, its identity
   * is excluded) and the chunk goes to another worker. Its body is never read.
   */
  void refuseUpload(Lease lease, String reason) {
    lease.session.inFlight.remove(lease.assignmentId);
    pool.offer(lease.session);
    refuse(lease, "rejected", reason, Fault.WRONG_RESULT);
    scheduler.pump();
  }

  void onFailure(String peerId, Object body) {
    Inbound.Failure failure = Inbound.failure(body);
    Lease lease = ownedLease(peerId, new Inbound.LeaseRef(failure.sessionId(), failure.assignmentId(), null, null));
    if (lease == null) {
      return;
    }
    lease.session.inFlight.remove(lease.assignmentId);
    pool.offer(lease.session);
    refuse(lease, "failed", "worker reported: " + failure.error(), Fault.REPORTED);
    scheduler.pump();
  }

  /**
   * The lease a worker's message is about, when it came from the socket of the session holding
   * it and names it consistently. A stray (no session on that socket, another session's id, a
   * late or unknown lease) is dropped; a session's strays put one event on a running job's
   * timeline, the first time only.
   */
  private Lease ownedLease(String peerId, Inbound.LeaseRef ref) {
    WorkerSession session = pool.byPeer(peerId);
    if (session == null || !session.sessionId.equals(ref.sessionId())) {
      return null;
    }
    return leaseOf(session, ref);
  }

  /** The lease {@code ref} names, when {@code session} holds it and it names it consistently (see {@link #ownedLease}). */
  Lease leaseOf(WorkerSession session, Inbound.LeaseRef ref) {
    Lease lease = session.inFlight.get(ref.assignmentId());
    if (lease == null) {
      noteStray(session, ref);
      return null;
    }
    if ((ref.jobId() != null && !lease.job.id.equals(ref.jobId()))
        || (ref.chunkIndex() != null && lease.chunkIndex != ref.chunkIndex())) {
      session.inFlight.remove(ref.assignmentId());
      pool.offer(session);
      refuse(lease, "rejected", "result names another job or chunk than its lease", Fault.WRONG_RESULT);
      scheduler.pump();
      return null;
    }
    return lease;
  }

  private void noteStray(WorkerSession session, Inbound.LeaseRef ref) {
    RunningJob job = ref.jobId() == null ? null : runningJob.apply(ref.jobId());
    if (job != null && session.straysNoted.size() < 64 && session.straysNoted.add(job.id)) {
      job.timeline.add("rejected", ref.chunkIndex(), session, null,
          "a late or unknown lease: no credit (later ones from this worker are not listed)");
    }
  }

  private void settle(Lease lease, AsyncResult<ResultCheck.Checked> checked, double computeMs, double waitMs,
      double roundTrip, long bytesIn) {
    RunningJob job = lease.job;
    if (!job.isOpen(lease)) {
      job.timeline.add("discarded", lease.chunkIndex, lease.session, lease, "lease closed meanwhile");
      return;
    }
    if (job.isDone(lease.chunkIndex)) {
      job.closeLease(lease);
      job.timeline.add("discarded", lease.chunkIndex, lease.session, lease, "chunk already done");
      return;
    }
    if (checked.failed()) {
      refuse(lease, "rejected", checked.cause().getMessage(), Fault.WRONG_RESULT);
    } else if (!checked.result().verification().passed()) {
      refuse(lease, "rejected", "failed the server's check on rows " + checked.result().verification().badRows(),
          Fault.WRONG_RESULT);
    } else {
      trust.verified(lease.session.workerId);
      scheduler.accept(lease, checked.result().values(), computeMs, waitMs, roundTrip, bytesIn);
    }
    scheduler.pump();
  }

  /**
   * Closes a lease without accepting it. The worker hears why; the fault decides the cost: a
   * wrong result excludes the worker's identity, a reported failure or expiry counts towards
   * the worker's run of failures and, from a worker with verified work, against the chunk
   * (which fails its job after {@code maxChunkFailures} different such workers).
   */
  void refuse(Lease lease, String type, String reason, Fault fault) {
    RunningJob job = lease.job;
    if (!job.closeLease(lease)) {
      return;
    }
    WorkerSession session = lease.session;
    session.rejected++;
    brain.metrics.GridMeters.of(vertx).refused(type); // GridMeters hook
    job.timeline.add(type, lease.chunkIndex, session, lease, reason);
    if (fault != Fault.EXPIRED) {
      vertx.eventBus().send(session.address(), WorkerMessages.refused(lease, reason));
    }
    if (fault == Fault.WRONG_RESULT) {
      scheduler.excludeIdentity(session.workerId, session.remoteAddress, job, "a wrong result: " + reason);
      job.requeue(lease.chunkIndex);
      return;
    }
    long now = System.currentTimeMillis();
    if (++session.consecutiveFailures >= settings.maxWorkerFailures() && !session.excluded(now)) {
      session.excludedUntil = now + settings.workerExclusionMs();
      job.timeline.add("excluded", null, session, null, session.consecutiveFailures + " failures in a row; no chunks for "
          + settings.workerExclusionMs() / 1000 + " s");
    }
    if (!trust.hasVerifiedWork(session.workerId)) {
      job.requeue(lease.chunkIndex);
      return;
    }
    int failures = job.recordFailure(lease.chunkIndex, session.workerId);
    if (failures >= settings.maxChunkFailures()) {
      scheduler.end(job, JobStatus.FAILED, "chunk " + lease.chunkIndex + " failed on " + failures
          + " different workers with verified work; last: " + reason);
    } else {
      job.requeue(lease.chunkIndex);
    }
  }

  /** Leases past their deadline go back to the queue, and their workers are told to drop them. */
  void expireLeases(Iterable<RunningJob> jobs) {
    long now = System.currentTimeMillis();
    for (RunningJob job : jobs) {
      for (Lease lease : job.openLeases()) {
        if (!lease.answered && lease.deadlineMillis < now && job.status == JobStatus.RUNNING) {
          scheduler.withdraw(lease, false);
          refuse(lease, "expired", "no result within " + settings.leaseMs() + " ms", Fault.EXPIRED);
        }
      }
    }
    scheduler.pump();
  }
}

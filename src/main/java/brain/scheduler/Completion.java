package brain.scheduler;

import static java.lang.System.Logger.Level.INFO;

import brain.checkpoint.ChunkLog;
import brain.model.ChunkPlan;
import brain.model.JobStatus;
import brain.model.Times;
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
 * A chunk's accepted result counts once it is checkpointed (forced to disk beside the job's
 * result, {@link ChunkLog}); the job's end, in any final status, settles its leases, frees its
 * workers' copies of B and stores the final view (fenced, once) with its timeline and credits.
 * Confined to the scheduler's thread; file work on the compute executor.
 */
final class Completion {
  private static final System.Logger LOG = System.getLogger(Completion.class.getName());

  private final Vertx vertx;
  private final Scheduler scheduler;
  private final SchedulerSettings settings;
  private final WorkerPool pool;
  private final SchedulerFeeds feeds;
  private final WorkerExecutor compute;
  /** Accepted chunks on their way to disk, in batches. */
  private final brain.checkpoint.CheckpointBatches checkpoints;
  private final Term term;
  private FinalCheck finalCheck;
  long jobsCompleted;
  /** Round trips of the last accepted chunks: the grid's "average response time". */
  private final double[] recentRoundTrips = new double[100];
  private long roundTripsSeen;

  Completion(Vertx vertx, Scheduler scheduler, SchedulerSettings settings, WorkerPool pool, SchedulerFeeds feeds,
      WorkerExecutor compute, Term term) {
    this.vertx = vertx;
    this.scheduler = scheduler;
    this.settings = settings;
    this.pool = pool;
    this.feeds = feeds;
    this.compute = compute;
    this.checkpoints = new brain.checkpoint.CheckpointBatches(compute);
    this.term = term;
  }

  void finalCheck(FinalCheck check) {
    this.finalCheck = check;
  }

  /** Every chunk is in (a resumed job may have them all from its checkpoint): the product's final check. */
  void checkAll(RunningJob job) {
    finalCheck.run(job);
  }

  /**
   * A checked result is in: checkpointed first (on a worker thread), then stitched and counted;
   * its credit waits for the final check. Meanwhile the chunk is neither pending nor done: a
   * speculative copy arriving now is discarded.
   */
  void accept(Lease lease, float[] values, double computeMs, double waitMs, double roundTrip, long bytesIn) {
    RunningJob job = lease.job;
    if (!term.mayAct()) {
      return; // not this scheduler's to accept any more
    }
    ChunkPlan.Chunk chunk = job.plan.get(lease.chunkIndex);
    WorkerSession session = lease.session;
    ChunkLog.Entry entry = new ChunkLog.Entry(chunk.index(), chunk.rowStart(), chunk.rows(), term.fence(), session.workerId,
        session.name, session.node, job.multiplyAdds(chunk), computeMs, 0, chunk.colStart(),
        job.plan.blocked() ? chunk.cols() : 0);
    ChunkLog checkpoint = job.checkpoint;
    job.saving.add(chunk.index());
    checkpoints.append(checkpoint, entry, values).onComplete(ar -> {
      job.saving.remove(chunk.index());
      if (!term.mayAct() || !job.isOpen(lease) || job.status != JobStatus.RUNNING) {
        return; // the job ended, or this term did, while the chunk was being written
      }
      if (ar.failed()) {
        end(job, JobStatus.FAILED, "could not checkpoint chunk " + chunk.index() + ": " + ar.cause().getMessage());
        return;
      }
      counted(lease, values, computeMs, waitMs, roundTrip, bytesIn);
    });
  }

  private void counted(Lease lease, float[] values, double computeMs, double waitMs, double roundTrip, long bytesIn) {
    RunningJob job = lease.job;
    WorkerSession session = lease.session;
    job.closeLease(lease);
    job.accept(lease, values, computeMs, waitMs, roundTrip, bytesIn);
    brain.metrics.GridMeters.of(vertx).accepted(roundTrip); // GridMeters hook
    session.chunksDone++;
    session.computeMs += computeMs;
    session.consecutiveFailures = 0;
    ChunkPlan.Chunk chunk = job.plan.get(lease.chunkIndex);
    session.recordSpeed(job.multiplyAdds(chunk), computeMs);
    recentRoundTrips[(int) (roundTripsSeen++ % recentRoundTrips.length)] = roundTrip;
    job.timeline.add("done", lease.chunkIndex, session, lease, lease.speculative ? "speculative copy won" : null);
    for (Lease loser : job.openLeasesOf(lease.chunkIndex)) {
      job.closeLease(loser);
      scheduler.withdraw(loser, true);
      job.timeline.add("cancelled", loser.chunkIndex, loser.session, loser, "another copy won");
    }
    feeds.progressed(job);
    if (job.allChunksDone()) {
      finalCheck.run(job);
    }
    scheduler.pump();
  }

  double averageRoundTrip() {
    int n = (int) Math.min(roundTripsSeen, recentRoundTrips.length);
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += recentRoundTrips[i];
    }
    return n == 0 ? 0 : Math.round(sum / n * 10) / 10.0;
  }

  /** Ends a job in any final status: settles leases, frees workers' copies of B, stores the final view. */
  /** Ends {@code job}; the future completes once its final row (and credits) are stored. */
  Future<Void> end(RunningJob job, JobStatus status, String error) {
    job.status = status;
    job.phase = status.wire();
    job.error = error;
    job.completedAt = Times.now();
    Map<WorkerSession, List<String>> toCancel = new LinkedHashMap<>();
    for (Lease lease : job.openLeases()) {
      job.closeLease(lease);
      job.timeline.add("cancelled", lease.chunkIndex, lease.session, lease, "job " + status.wire());
      if (lease.session.takeBack(lease.assignmentId, true) != null) {
        toCancel.computeIfAbsent(lease.session, s -> new ArrayList<>()).add(lease.assignmentId);
      }
    }
    toCancel.forEach((session, ids) -> {
      vertx.eventBus().send(session.address(), WorkerMessages.cancel(ids));
      pool.offer(session);
    });
    for (WorkerSession session : pool.sessions()) {
      if (session.bPanels.remove(job.id) != null) {
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
    ChunkLog checkpoint = job.checkpoint;
    job.checkpoint = null;
    LOG.log(INFO, "job " + job.id + " " + status.wire() + (error == null ? "" : ": " + error));
    // Stored (and its workers credited) before anyone hears of it: a client that reacts to the
    // news and reads the job back finds it final.
    scheduler.running.remove(job.id);
    scheduler.queued.remove(job.id);
    scheduler.ending.put(job.id, job);
    // Joins first: the database writes in the order it is asked, so a worker's first credit
    // row counts exactly the sessions whose joins it did not see.
    Future<Void> joins = feeds.flushJoins();
    Future<Void> credited = status == JobStatus.COMPLETED ? feeds.grantCredits(job.id, job.credits(), pool::sessionsJoined)
        : Future.succeededFuture();
    Future<Void> stored = storeWithTimeline(job, finalView.copy());
    Future<Void> settled = Future.join(stored, credited, joins).mapEmpty();
    settled
        .onComplete(done -> {
          scheduler.ended(job.id);
          feeds.ended(finalView);
          // The checkpoint goes once the final row is stored; a refused (fenced) store leaves it
          // for the scheduler that holds the lease now.
          boolean keep = stored.failed();
          compute.executeBlocking(() -> {
            if (checkpoint != null) {
              checkpoint.close();
            }
            if (!keep) {
              JobInputs.deletePanelFiles(settings.storageDir(), job.id, job.plan);
            }
            return keep ? 0 : ChunkLog.delete(settings.storageDir(), job.id);
          }, false);
        });
    scheduler.startJobs();
    scheduler.pump();
    return settled;
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
}

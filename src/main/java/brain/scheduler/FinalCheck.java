package brain.scheduler;

import brain.bus.Addresses;
import brain.model.FullCheck;
import brain.model.Freivalds;
import brain.model.JobStatus;
import brain.model.Matrix;
import brain.model.Verification;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The end of a job's computing: the whole product checked once more (in full or by the grouped
 * Freivalds check, on the compute executor), chunks that fail it sent out again to other
 * workers in bounded rounds, and a passing product stored before the job is declared
 * completed. Confined to the scheduler's thread.
 */
final class FinalCheck {
  private static final SecureRandom SEEDS = new SecureRandom();

  private final Vertx vertx;
  private final Scheduler scheduler;
  private final SchedulerSettings settings;
  private final SchedulerFeeds feeds;
  private final WorkerExecutor compute;
  private final Term term;

  FinalCheck(Vertx vertx, Scheduler scheduler, SchedulerSettings settings, SchedulerFeeds feeds, WorkerExecutor compute,
      Term term) {
    this.term = term;
    this.vertx = vertx;
    this.scheduler = scheduler;
    this.settings = settings;
    this.feeds = feeds;
    this.compute = compute;
  }

  void run(RunningJob job) {
    job.phase = "verifying";
    feeds.changed(job);
    String method = job.spec.verificationMethod(settings.fullMaxOps());
    Matrix a = job.inputs.a();
    Matrix b = job.inputs.b();
    Matrix c = job.stitcher.result();
    int vectors = settings.freivaldsVectors();
    compute.executeBlocking(() -> switch (method) {
      case Verification.FULL -> FullCheck.verify(a, b, c);
      case Verification.FREIVALDS -> Freivalds.prepare(b, vectors, settings.groupColumns(),
          new SplittableRandom(SEEDS.nextLong())).checkAll(a, c);
      default -> Verification.skipped();
    }, false).onComplete(ar -> {
      if (job.status != JobStatus.RUNNING) {
        return;
      }
      if (ar.failed()) {
        scheduler.end(job, JobStatus.FAILED, "verification could not run: " + ar.cause().getMessage());
      } else if (!ar.result().passed()) {
        redoRows(job, ar.result());
      } else {
        job.verification = ar.result();
        storeResult(job);
      }
    });
  }

  /**
   * The final check found bad rows: their chunks are computed again, each by another worker
   * than the one that produced it (whose identity is excluded: its slice was wrong). Bounded:
   * after {@code maxFinalCheckRounds} failed rounds the job fails with the reason.
   */
  private void redoRows(RunningJob job, Verification failed) {
    TreeSet<Integer> chunks = new TreeSet<>();
    failed.badRows().forEach(row -> chunks.addAll(job.plan.chunksOfRow(row))); // for blocks: all of its row panel
    job.finalCheckRounds++;
    job.timeline.add("verification-failed", null, null, null, failed.method() + " check failed on chunks " + chunks
        + " (round " + job.finalCheckRounds + " of " + settings.maxFinalCheckRounds() + ")");
    if (job.finalCheckRounds >= settings.maxFinalCheckRounds()) {
      scheduler.end(job, JobStatus.FAILED, "the product failed its final " + failed.method() + " check "
          + job.finalCheckRounds + " times; last on chunks " + chunks);
      return;
    }
    for (int chunk : chunks) {
      String producer = job.redo(chunk);
      if (producer != null) {
        scheduler.excludeIdentity(producer, scheduler.addressOf(producer), job, "its chunk " + chunk + " failed the final check");
      }
    }
    feeds.changed(job);
    scheduler.pump();
  }

  private void storeResult(RunningJob job) {
    job.phase = "storing";
    DeliveryOptions withJob = term.fenced().addHeader("jobId", job.id);
    if (job.checkpoint != null) {
      withJob.addHeader("checkpointed", "true"); // every accepted chunk was forced into it before it counted
    }
    term.write(vertx.eventBus().request(Addresses.DB_RESULT_SAVE, job.stitcher.result(), withJob)).onComplete(ar -> {
      if (job.status != JobStatus.RUNNING || !term.mayAct()) {
        return;
      }
      if (ar.failed()) {
        scheduler.end(job, JobStatus.FAILED, "could not store the result: " + ar.cause().getMessage());
      } else {
        scheduler.end(job, JobStatus.COMPLETED, null);
      }
    });
  }
}

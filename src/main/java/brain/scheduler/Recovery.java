package brain.scheduler;

import static java.lang.System.Logger.Level.INFO;

import brain.checkpoint.ChunkLog;
import brain.model.JobStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;

/**
 * What a newly elected scheduler (after a failover, or a restart of a single node) takes over:
 * the jobs stored as queued or running. A running one resumes with the chunk plan it started
 * with, and the chunks its checkpoint holds count as done (and are credited, once, when the job
 * completes); only the others are computed. The active scheduler also sweeps the database
 * every lease for unfinished jobs it does not hold (one whose hand-over to it was lost, e.g.
 * submitted while no scheduler was elected) and adopts them the same way. Confined to the scheduler's thread, except
 * {@link #load}, which blocks and runs on the compute executor.
 */
final class Recovery {
  private static final System.Logger LOG = System.getLogger(Recovery.class.getName());

  private Recovery() {}

  /** Jobs stored as queued or running: queued again here, a running one with its plan's chunk rows. */
  static void recover(Scheduler scheduler, JsonArray unfinished) {
    for (int i = 0; i < unfinished.size(); i++) {
      JsonObject job = unfinished.getJsonObject(i);
      JsonObject view = job.getJsonObject("view");
      if (scheduler.holds(view.getString("id"))) {
        continue; // enqueued by intake meanwhile, or adopted at an earlier sweep
      }
      boolean started = JobStatus.RUNNING.wire().equals(view.getString("status"))
          && view.getInteger("chunksTotal", 0) > 0 && view.getInteger("chunkRows") != null;
      scheduler.enqueueRecovered(job, started ? view.getInteger("chunkRows") : null);
      LOG.log(INFO, "job " + view.getString("id") + " was not finished by the last scheduler; "
          + (started ? "resuming it from its checkpoint" : "queued again"));
    }
  }

  /**
   * Blocking: opens the job's checkpoint for appending and answers the chunks it holds already
   * (none for a job starting afresh), those whose place in the plan matches.
   */
  static List<ChunkLog.Accepted> load(RunningJob job, Path storageDir) {
    List<ChunkLog.Accepted> accepted = job.resumeChunkRows == null ? List.of()
        : ChunkLog.read(storageDir, job.id, job.spec.colsB());
    if (job.resumeChunkRows == null) {
      ChunkLog.delete(storageDir, job.id); // a fresh start: nothing left from before counts
    }
    job.checkpoint = ChunkLog.open(storageDir, job.id, job.spec.colsB());
    return accepted.stream().filter(a -> a.entry().chunk() < job.plan.size()
        && job.plan.get(a.entry().chunk()).rowStart() == a.entry().rowStart()
        && job.plan.get(a.entry().chunk()).rows() == a.entry().rows()
        && job.plan.get(a.entry().chunk()).colStart() == a.entry().colStart()
        && job.plan.get(a.entry().chunk()).cols() == a.entry().cols(job.spec.colsB())).toList();
  }

  /** Marks the checkpointed chunks done; answers how many. */
  static int apply(RunningJob job, List<ChunkLog.Accepted> accepted) {
    for (ChunkLog.Accepted a : accepted) {
      ChunkLog.Entry e = a.entry();
      job.resume(e.chunk(), a.values(), new RunningJob.ChunkCredit(e.workerId(), e.name(), e.multiplyAdds(), e.computeMs(),
          e.node()));
    }
    if (!accepted.isEmpty()) {
      job.timeline.add("resumed", null, null, null, accepted.size() + " of " + job.plan.size()
          + " chunks accepted before, taken from the checkpoint");
    }
    return accepted.size();
  }
}

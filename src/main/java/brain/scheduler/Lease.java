package brain.scheduler;

import brain.model.ChunkPlan;

/**
 * One chunk out on one worker: a random assignment id, when it went out and until when the
 * worker may answer. Exactly one lease per chunk can end in an accepted result.
 */
final class Lease {
  final String assignmentId;
  /** Its number within the job (1, 2, ...): how the public timeline names it. */
  final int number;
  final RunningJob job;
  final int chunkIndex;
  final WorkerSession session;
  final long sentAtNanos = System.nanoTime();
  final long sentAtMillis = System.currentTimeMillis();
  final long deadlineMillis;
  final long bytesOut;
  /** A copy sent because the first lease of its chunk is a straggler. */
  final boolean speculative;
  /** The worker answered; its result is being checked on a worker thread. */
  boolean answered;
  /** Protocol 2: its result's upload was let through (a second one is refused). */
  boolean uploading;

  Lease(String assignmentId, int number, RunningJob job, int chunkIndex, WorkerSession session, long leaseMs,
      long bytesOut, boolean speculative) {
    this.assignmentId = assignmentId;
    this.number = number;
    this.job = job;
    this.chunkIndex = chunkIndex;
    this.session = session;
    this.deadlineMillis = sentAtMillis + leaseMs;
    this.bytesOut = bytesOut;
    this.speculative = speculative;
  }

  double elapsedMs() {
    return (System.nanoTime() - sentAtNanos) / 1e6;
  }

  /** The float32 values its result holds: its chunk's rows × columns (a 2-D block's own columns). */
  int resultValues() {
    ChunkPlan.Chunk chunk = job.plan.get(chunkIndex);
    return chunk.rows() * chunk.cols();
  }

  long resultBytes() {
    return (long) resultValues() * Float.BYTES;
  }
}

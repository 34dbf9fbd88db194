package brain.scheduler;

import brain.model.JobMetrics;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The running sums behind one job's metrics: compute, transfer and round-trip times, bytes,
 * multiply-adds done, each worker's window on the job, and the round trips of accepted chunks
 * (their median is the straggler threshold). Confined to the scheduler's event loop.
 */
final class JobTally {
  double computeMs;
  /** Multiply-adds of the chunks accepted so far (throughput counts only work done). */
  long multiplyAddsDone;
  double transferMs;
  double roundTripMs;
  long bytes;
  /** Round trips of accepted chunks, in the order accepted, for the straggler threshold. */
  private double[] roundTrips;
  /**
   * Per session: when it was first sent a chunk of this job, and when its last accepted result
   * arrived (its part ends there: the check and checkpoint that follow are the server's time).
   */
  private final Map<String, long[]> workerWindows = new HashMap<>();
  private double median;
  private int medianAt;
  private long medianNanos;

  void start(int chunks) {
    this.roundTrips = new double[chunks];
  }

  /** A lease of {@code bytesOut} sent to {@code sessionId} at {@code sentAtNanos}. */
  void leaseOpened(String sessionId, long sentAtNanos, long bytesOut) {
    workerWindows.computeIfAbsent(sessionId, s -> new long[] {sentAtNanos, 0});
    bytes += bytesOut;
  }

  /** The figures of the chunk accepted as the {@code done}-th (0 for the first), whose lease went out at {@code sentAtNanos}. */
  void accepted(int done, String sessionId, long sentAtNanos, long multiplyAdds, double computeMs, double waitMs,
      double roundTrip, long bytesIn) {
    roundTrips[done] = roundTrip;
    this.computeMs += computeMs;
    this.multiplyAddsDone += multiplyAdds;
    this.transferMs += Math.max(0, roundTrip - computeMs - waitMs);
    long[] window = workerWindows.get(sessionId);
    window[1] = Math.max(window[1], sentAtNanos + (long) (roundTrip * 1e6)); // the result's arrival
    this.roundTripMs += roundTrip;
    this.bytes += bytesIn;
  }

  /** A chunk read back from the checkpoint as the {@code done}-th: its compute time stands in for its round trip. */
  void resumed(int done, long multiplyAdds, double computeMs) {
    roundTrips[done] = computeMs;
    multiplyAddsDone += multiplyAdds;
    this.computeMs += computeMs;
  }

  /**
   * Median round trip of the {@code done} chunks accepted so far; 0 before any. Sorting is
   * O(n log n), so the value is kept until the job has grown by a tenth or 100 ms have passed.
   */
  double medianRoundTrip(int done) {
    if (done == 0) {
      return 0;
    }
    long now = System.nanoTime();
    if (medianAt == 0 || done - medianAt >= Math.max(8, medianAt / 10) || now - medianNanos > 100_000_000L) {
      double[] sorted = Arrays.copyOf(roundTrips, done);
      Arrays.sort(sorted);
      median = sorted[sorted.length / 2];
      medianAt = done;
      medianNanos = now;
    }
    return median;
  }

  /** The metrics of a job that has run {@code totalMs} and has {@code done} chunks accepted. */
  JobMetrics metrics(double totalMs, int done) {
    double workerTime = 0;
    for (long[] window : workerWindows.values()) {
      if (window[1] > 0) {
        workerTime += (window[1] - window[0]) / 1e6;
      }
    }
    return JobMetrics.of(multiplyAddsDone, totalMs, computeMs, workerTime, transferMs, bytes, roundTripMs, done);
  }
}

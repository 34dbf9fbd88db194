package brain.model;

import io.vertx.core.json.JsonObject;

/**
 * A job's performance figures.
 *
 * <ul>
 *   <li>totalTimeMs: wall time from the job's start (first dispatch possible) to its last chunk accepted;
 *   <li>computeTimeMs: sum of the compute time workers reported for accepted chunks;
 *   <li>networkTimeMs: sum, over accepted chunks, of round trip minus compute minus the time the
 *       chunk waited in the worker: time on the wire and in transit queues;
 *   <li>efficiencyRatio: computeTimeMs / (computeTimeMs + networkTimeMs) × 100;
 *   <li>bytesTransferred: bytes of the job's messages on worker sockets, both ways;
 *   <li>throughputMops: 2·rowsA·colsA·colsB floating-point operations / totalTimeMs, in millions per second;
 *   <li>avgChunkTimeMs: mean round trip (dispatch to result) of accepted chunks.
 * </ul>
 */
public record JobMetrics(double totalTimeMs, double computeTimeMs, double networkTimeMs, double efficiencyRatio,
    long bytesTransferred, double throughputMops, double avgChunkTimeMs) {

  public static final JobMetrics EMPTY = new JobMetrics(0, 0, 0, 0, 0, 0, 0);

  public static JobMetrics of(long multiplyAdds, double totalTimeMs, double computeTimeMs, double networkTimeMs,
      long bytesTransferred, double roundTripSumMs, int chunksAccepted) {
    double busy = computeTimeMs + networkTimeMs;
    double efficiency = busy > 0 ? computeTimeMs / busy * 100.0 : 0;
    double throughput = totalTimeMs > 0 ? 2.0 * multiplyAdds / totalTimeMs / 1000.0 : 0;
    double avgChunk = chunksAccepted > 0 ? roundTripSumMs / chunksAccepted : 0;
    return new JobMetrics(round(totalTimeMs), round(computeTimeMs), round(networkTimeMs), round(efficiency),
        bytesTransferred, round(throughput), round(avgChunk));
  }

  private static double round(double value) {
    return Math.round(value * 1000.0) / 1000.0;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("totalTimeMs", totalTimeMs)
        .put("computeTimeMs", computeTimeMs)
        .put("networkTimeMs", networkTimeMs)
        .put("efficiencyRatio", efficiencyRatio)
        .put("bytesTransferred", bytesTransferred)
        .put("throughputMops", throughputMops)
        .put("avgChunkTimeMs", avgChunkTimeMs);
  }
}

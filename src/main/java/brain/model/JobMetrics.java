package brain.model;

import io.vertx.core.json.JsonObject;

/**
 * A job's performance figures.
 *
 * <ul>
 *   <li>totalTimeMs: wall time from the job's start to its last chunk accepted;
 *   <li>computeTimeMs: sum of the compute time workers reported for accepted chunks;
 *   <li>networkTimeMs: the workers' time on the job not spent computing: for each worker, from
 *       its first chunk sent to the arrival of its last result accepted, minus its compute. It is
 *       the transfer time prefetching could not hide (a chunk travelling while the previous one
 *       computes costs nothing here); the server's check and checkpoint of a result that arrived
 *       are not a worker's time (they are in totalTimeMs);
 *   <li>efficiencyRatio: computeTimeMs / (computeTimeMs + networkTimeMs) × 100: the share of the
 *       workers' time on the job spent computing;
 *   <li>transferTimeMs: sum over accepted chunks of round trip minus compute minus the time the
 *       chunk queued in the worker: time on the wire, hidden or not;
 *   <li>bytesTransferred: bytes of the job's messages on worker sockets, both ways;
 *   <li>throughputMops: 2·rowsA·colsA·colsB floating-point operations / totalTimeMs, in millions per second;
 *   <li>avgChunkTimeMs: mean round trip (dispatch to result) of accepted chunks.
 * </ul>
 */
public record JobMetrics(double totalTimeMs, double computeTimeMs, double networkTimeMs, double efficiencyRatio,
    long bytesTransferred, double throughputMops, double avgChunkTimeMs, double transferTimeMs) {

  public static final JobMetrics EMPTY = new JobMetrics(0, 0, 0, 0, 0, 0, 0, 0);

  public static JobMetrics of(long multiplyAdds, double totalTimeMs, double computeTimeMs, double workerTimeMs,
      double transferTimeMs, long bytesTransferred, double roundTripSumMs, int chunksAccepted) {
    double network = Math.max(0, workerTimeMs - computeTimeMs);
    double busy = computeTimeMs + network;
    double efficiency = busy > 0 ? computeTimeMs / busy * 100.0 : 0;
    double throughput = totalTimeMs > 0 ? 2.0 * multiplyAdds / totalTimeMs / 1000.0 : 0;
    double avgChunk = chunksAccepted > 0 ? roundTripSumMs / chunksAccepted : 0;
    return new JobMetrics(round(totalTimeMs), round(computeTimeMs), round(network), round(efficiency),
        bytesTransferred, round(throughput), round(avgChunk), round(transferTimeMs));
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
        .put("avgChunkTimeMs", avgChunkTimeMs)
        .put("transferTimeMs", transferTimeMs);
  }
}

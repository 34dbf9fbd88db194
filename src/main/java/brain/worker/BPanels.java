package brain.worker;

import brain.model.Float32Codec;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/**
 * Protocol 1: the B panel of each job, assembled from its base64 "b" parts. A worker holds one
 * column panel per job; a part of another panel replaces it. Confined to the worker's event loop.
 */
final class BPanels {
  private final Map<String, float[]> bByJob = new HashMap<>();
  private final Map<String, Integer> rowsReceived = new HashMap<>();
  /** Per job, the first column of the B panel held (0: all of B, or the first panel). */
  private final Map<String, Integer> colStart = new HashMap<>();
  /** float32 values received in parts. */
  private volatile long values;

  /** Decodes a {type: "b"} part into its job's panel. */
  void receive(JsonObject part) {
    String jobId = part.getString("jobId");
    int rows = part.getInteger("rows");
    int cols = part.getInteger("cols");
    int rowStart = part.getInteger("rowStart");
    int rowCount = part.getInteger("rowCount");
    int firstColumn = part.getInteger("colStart", 0);
    float[] held = bByJob.get(jobId);
    if (held == null || held.length != (long) rows * cols || colStart.getOrDefault(jobId, 0) != firstColumn) {
      // Another column panel of B for this job: it replaces the one held (a worker holds one).
      bByJob.put(jobId, new float[Math.multiplyExact(rows, cols)]);
      rowsReceived.put(jobId, 0);
      colStart.put(jobId, firstColumn);
    }
    float[] b = bByJob.get(jobId);
    if (rowStart < 0 || rowCount < 0 || rowStart + rowCount > rows) {
      throw new IllegalArgumentException("B part outside B");
    }
    Float32Codec.decodeInto(part.getString("data"), b, rowStart * cols, Math.multiplyExact(rowCount, cols));
    values += (long) rowCount * cols;
    rowsReceived.merge(jobId, rowCount, Integer::sum);
  }

  /** The job's panel if all its {@code rows} have arrived and it starts at {@code firstColumn}; else null. */
  float[] complete(String jobId, int rows, int firstColumn) {
    Integer received = rowsReceived.get(jobId);
    if (received == null || received != rows || colStart.getOrDefault(jobId, 0) != firstColumn) {
      return null;
    }
    return bByJob.get(jobId);
  }

  /** The job's panel as it stands, complete or not, or null. */
  float[] held(String jobId) {
    return bByJob.get(jobId);
  }

  void release(String jobId) {
    colStart.remove(jobId);
    bByJob.remove(jobId);
    rowsReceived.remove(jobId);
  }

  void clear() {
    bByJob.clear();
    rowsReceived.clear();
    colStart.clear();
  }

  long values() {
    return values;
  }
}

package brain.worker;

import static brain.bus.Addresses.*;

import brain.model.Float32Codec;
import brain.worker.HeadlessWorker.Chunk;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A headless worker's chunks: received (protocol 1 inline, protocol 2 after fetching its
 * inputs), queued up to the worker's slots, computed one at a time with its engine, answered
 * with a result (upload or message) or a failure. Confined to the worker's event loop; the
 * engine runs on worker threads unless it is instant.
 */
final class ChunkLoop {
  private final Vertx vertx;
  private final MatrixEngine engine;
  private final WorkerLink link;
  private final DataPlane data;
  private final BPanels panels;
  /** A test's fault injection: true when it handles the chunk itself. */
  private final Predicate<Chunk> intercept;
  private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
  private final Set<String> cancelled = new HashSet<>();
  private boolean computing;
  private volatile long chunksDone;
  /** The most bytes one chunk has needed here: its A, the B it was computed with, its C. */
  private volatile long largestChunkBytes;
  /** float32 values of inline A rows received and results sent. */
  private volatile long values;

  ChunkLoop(Vertx vertx, MatrixEngine engine, WorkerLink link, DataPlane data, BPanels panels,
      Predicate<Chunk> intercept) {
    this.vertx = vertx;
    this.engine = engine;
    this.link = link;
    this.data = data;
    this.panels = panels;
    this.intercept = intercept;
  }

  void receive(JsonObject m) {
    long received = System.nanoTime();
    JsonArray inputs = m.getJsonArray("inputs");
    if (inputs == null) { // protocol 1: A inline, B from the b parts
      accept(new Chunk(m.getString("assignmentId"), m.getString("jobId"), m.getInteger("chunkIndex"),
          m.getInteger("rowStart"), m.getInteger("rows"), m.getInteger("colsA"), m.getInteger("colsB"), m.getString("a"),
          received, null, null, null, m.getInteger("colStart", 0)));
      values += (long) m.getInteger("rows") * m.getInteger("colsA");
      return;
    }
    // Protocol 2: fetch what the cache lacks, then queue the chunk.
    JsonObject aItem = null;
    JsonObject bItem = null;
    for (Object o : inputs) {
      JsonObject item = (JsonObject) o;
      if ("a".equals(item.getString("role"))) {
        aItem = item;
      } else if ("b".equals(item.getString("role"))) {
        bItem = item;
      }
    }
    if (aItem == null || bItem == null) {
      throw new IllegalArgumentException("a chunk names no A or no B");
    }
    BridgeClient on = link.client();
    Future<float[]> a = data.item(aItem);
    Future<float[]> b = data.item(bItem);
    Future.all(a, b).onComplete(ar -> {
      if (link.client() != on || link.client() == null) {
        return; // the socket changed meanwhile: the lease went with the old session
      }
      Chunk chunk = new Chunk(m.getString("assignmentId"), m.getString("jobId"), m.getInteger("chunkIndex"),
          m.getInteger("rowStart"), m.getInteger("rows"), m.getInteger("colsA"), m.getInteger("colsB"), null, received,
          ar.succeeded() ? a.result() : null, ar.succeeded() ? b.result() : null,
          m.getString("upload"), m.getInteger("colStart", 0));
      if (ar.failed()) {
        fail(chunk, "could not fetch its inputs: " + ar.cause().getMessage());
        return;
      }
      accept(chunk);
    });
  }

  /** {type: "cancel"}: the chunk is not to be answered (queued ones are dropped). */
  void cancel(JsonArray assignmentIds) {
    assignmentIds.forEach(id -> {
      cancelled.add(String.valueOf(id));
      queue.removeIf(c -> c.assignmentId().equals(id));
    });
  }

  private void accept(Chunk chunk) {
    if (cancelled.remove(chunk.assignmentId())) {
      return;
    }
    if (intercept.test(chunk)) {
      return;
    }
    queue.addLast(chunk);
    computeNext();
  }

  private void computeNext() {
    if (computing || queue.isEmpty() || link.client() == null) {
      return;
    }
    Chunk chunk = queue.pollFirst();
    float[] b = chunk.bValues() != null ? chunk.bValues() : panels.complete(chunk.jobId(), chunk.colsA(), chunk.colStart());
    if (b == null || b.length != (long) chunk.colsA() * chunk.colsB()) {
      fail(chunk, "B (columns from " + chunk.colStart() + ") of job " + chunk.jobId() + " is not complete here");
      computeNext();
      return;
    }
    largestChunkBytes = Math.max(largestChunkBytes, ((long) chunk.rows() * chunk.colsA() + b.length
        + (long) chunk.rows() * chunk.colsB()) * Float.BYTES);
    computing = true;
    long started = System.nanoTime();
    double waitMs = (started - chunk.receivedNanos()) / 1e6;
    // Decoding A, multiplying and encoding C are O(chunk): on a worker thread unless instant.
    Future<Computed> product = engine.instant()
        ? Future.succeededFuture(Computed.of(engine, chunk, null, b))
        : vertx.executeBlocking(() -> Computed.of(engine, chunk, chunk.aRows(), b), false);
    product.onComplete(ar -> {
      computing = false;
      // A real engine's next chunk starts first: encoding and uploading this result (2 MiB for a
      // 256-row slice of 2048³) kept it idle for 5–9 ms a chunk. An instant engine's next chunk
      // would complete inside that call, so its results would leave in reverse order: it goes after.
      boolean nextFirst = !engine.instant();
      if (nextFirst) {
        computeNext();
      }
      if (!cancelled.remove(chunk.assignmentId()) && link.client() != null) {
        if (ar.failed()) {
          fail(chunk, "the engine failed: " + ar.cause().getMessage());
        } else {
          deliver(chunk, ar.result().values(), ar.result().computeMs(), waitMs);
        }
      }
      if (!nextFirst) {
        computeNext();
      }
    });
  }

  /** A chunk's product and the time the multiply took. */
  private record Computed(float[] values, double computeMs) {
    static Computed of(MatrixEngine engine, Chunk chunk, float[] a, float[] b) {
      long t0 = System.nanoTime();
      float[] c = engine.multiply(a, chunk.rows(), chunk.colsA(), b, chunk.colsB());
      double ms = (System.nanoTime() - t0) / 1e6;
      return new Computed(c, ms);
    }
  }

  /** Protocol 2: uploads the result's bytes to the chunk's URL; protocol 1: a result message with base64. */
  void deliver(Chunk chunk, float[] result, double computeMs, double waitMs) {
    if (link.client() == null) {
      return;
    }
    if (chunk.upload() == null) {
      link.send(WORKER_RESULT, new JsonObject()
          .put("sessionId", link.sessionId())
          .put("assignmentId", chunk.assignmentId())
          .put("jobId", chunk.jobId())
          .put("chunkIndex", chunk.chunkIndex())
          .put("computeMs", computeMs)
          .put("waitMs", waitMs)
          .put("data", Float32Codec.toBase64(result)));
      values += (long) chunk.rows() * chunk.colsB();
    } else {
      data.upload(chunk.upload(), chunk.chunkIndex(), result, computeMs, waitMs);
      values += result.length;
    }
    chunksDone++;
  }

  /** Computes a chunk with the engine, blocking. */
  float[] computeNow(Chunk chunk) {
    float[] b = chunk.bValues() != null ? chunk.bValues() : panels.held(chunk.jobId());
    return engine.multiply(chunk.aRows(), chunk.rows(), chunk.colsA(), b, chunk.colsB());
  }

  /** Reports that a chunk could not be computed. */
  void fail(Chunk chunk, String error) {
    link.send(WORKER_FAILURE, new JsonObject().put("sessionId", link.sessionId())
        .put("assignmentId", chunk.assignmentId()).put("error", error));
  }

  /** The session ended: what was queued went with it. */
  void clear() {
    queue.clear();
  }

  int queued() {
    return queue.size();
  }

  long chunksDone() {
    return chunksDone;
  }

  long largestChunkBytes() {
    return largestChunkBytes;
  }

  long values() {
    return values;
  }
}

package brain.worker;

import static brain.bus.Addresses.*;

import brain.model.Float32Codec;
import brain.worker.HeadlessWorker.Chunk;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * A headless worker's chunks: received (protocol 1 inline, protocol 2 after fetching its
 * inputs), queued up to the worker's slots, computed one at a time with its engine, answered
 * with a result (upload or message) or a failure. An engine that {@link MatrixEngine#accumulates}
 * begins a chunk as soon as rows of its A and B are here and takes in their rows as they arrive,
 * instead of idling through their transfer (18 MiB for a chunk of 2048³, 20–50 ms on loopback,
 * far longer on a real network). Confined to the worker's event loop; the engine runs on worker
 * threads unless it is instant.
 */
final class ChunkLoop {
  private final Vertx vertx;
  private final MatrixEngine engine;
  private final WorkerLink link;
  private final DataPlane data;
  private final BPanels panels;
  /** A test's fault injection: true when it handles the chunk itself. */
  private final Predicate<Chunk> intercept;
  /** True while a test intercepts chunks: it is handed them with their inputs whole. */
  private final BooleanSupplier intercepting;
  private final List<QueuedChunk> queue = new ArrayList<>();
  private final Set<String> cancelled = new HashSet<>();
  /** The chunk a take or a multiply is running for, or null. */
  private QueuedChunk running;
  private volatile long chunksDone;
  /** The most bytes one chunk has needed here: its A, the B it was computed with, its C. */
  private volatile long largestChunkBytes;
  /** float32 values of inline A rows received and results sent. */
  private volatile long values;

  ChunkLoop(Vertx vertx, MatrixEngine engine, WorkerLink link, DataPlane data, BPanels panels,
      Predicate<Chunk> intercept, BooleanSupplier intercepting) {
    this.vertx = vertx;
    this.engine = engine;
    this.link = link;
    this.data = data;
    this.panels = panels;
    this.intercept = intercept;
    this.intercepting = intercepting;
    if (engine.accumulates()) { // no other engine has a use for a body's pieces: nothing to do per piece
      data.onProgress(this::computeNext);
    }
  }

  void receive(JsonObject m) {
    long received = System.nanoTime();
    JsonArray inputs = m.getJsonArray("inputs");
    if (inputs == null) { // protocol 1: A inline, B from the b parts
      accept(Chunk.of(m, received, null, null), null, null);
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
    // Once this chunk's own inputs are in, so that the slices ahead do not share the wire with them.
    JsonArray ahead = m.getJsonArray("prefetch");
    Future.all(a, b).onComplete(done -> {
      if (link.client() == on) {
        data.fetchAhead(ahead);
      }
    });
    DataPlane.Arriving arrivingA = a.isComplete() ? null : data.arriving(aItem.getString("id"));
    DataPlane.Arriving arrivingB = b.isComplete() ? null : data.arriving(bItem.getString("id"));
    if (engine.accumulates() && !intercepting.getAsBoolean() && !a.failed() && !b.failed()
        && (arrivingA != null || arrivingB != null)) {
      Chunk chunk = Chunk.of(m, received, arrivingA != null ? arrivingA.values() : a.result(),
          arrivingB != null ? arrivingB.values() : b.result());
      if (QueuedChunk.fits(chunk)) { // queued now: the engine takes in their rows as they arrive
        accept(chunk, arrivingA, arrivingB);
        return;
      }
    }
    Future.all(a, b).onComplete(ar -> {
      if (link.client() != on || link.client() == null) {
        return; // the socket changed meanwhile: the lease went with the old session
      }
      if (ar.failed()) {
        fail(Chunk.of(m, received, null, null), "could not fetch its inputs: " + ar.cause().getMessage());
        return;
      }
      accept(Chunk.of(m, received, a.result(), b.result()), null, null);
    });
  }

  /** {type: "cancel"}: the chunk is not to be answered (queued ones are dropped). */
  void cancel(JsonArray assignmentIds) {
    assignmentIds.forEach(id -> {
      cancelled.add(String.valueOf(id));
      drop(q -> q.chunk.assignmentId().equals(id));
    });
  }

  /** Removes queued chunks; a product is released unless a take of it is running (it is released after). */
  private void drop(Predicate<QueuedChunk> which) {
    queue.removeIf(q -> {
      if (!which.test(q)) {
        return false;
      }
      if (q != running) {
        q.release();
      }
      return true;
    });
  }

  private void accept(Chunk chunk, DataPlane.Arriving arrivingA, DataPlane.Arriving arrivingB) {
    if (cancelled.remove(chunk.assignmentId())) {
      return;
    }
    if (intercept.test(chunk)) {
      return;
    }
    queue.add(new QueuedChunk(chunk, arrivingA, arrivingB));
    computeNext();
  }

  /**
   * Starts the next piece of work, if the engine is free: the first queued chunk whose inputs are
   * whole is finished (or multiplied in one go); failing that, the first whose arriving inputs
   * brought enough for a take ({@link QueuedChunk#takeReady}) gets it. Called again when a take or
   * a product ends and when a body brings more.
   */
  private void computeNext() {
    if (running != null || link.client() == null) {
      return;
    }
    for (Iterator<QueuedChunk> next = queue.iterator(); next.hasNext(); ) {
      QueuedChunk q = next.next();
      if (q.whole()) {
        next.remove();
        finish(q); // may come back here (an instant engine): the loop ends first
        return;
      }
      if (q.arrivalFailed()) {
        next.remove();
        q.release();
        fail(q.chunk, "could not fetch its inputs: a transfer failed mid-body");
        continue;
      }
      int[] upTo = q.takeReady();
      if (upTo != null) {
        take(q, upTo[0], upTo[1]);
        return;
      }
    }
  }

  /** Takes A's and B's rows that arrived into the chunk's product; the chunk stays queued. */
  private void take(QueuedChunk q, int toA, int toB) {
    started(q, q.chunk.bValues());
    running = q;
    vertx.executeBlocking(() -> {
      q.take(engine, toA, toB);
      return null;
    }, false).onComplete(ar -> {
      running = null;
      if (!queue.contains(q)) { // cancelled, or the session ended, while the take ran
        q.release();
      } else if (ar.failed()) {
        queue.remove(q);
        q.release();
        fail(q.chunk, "the engine failed: " + ar.cause().getMessage());
      }
      computeNext();
    });
  }

  /** Computes what is left of a chunk whose inputs are whole (all of it, or B's last rows), then answers it. */
  private void finish(QueuedChunk q) {
    Chunk chunk = q.chunk;
    float[] b = chunk.bValues() != null ? chunk.bValues() : panels.complete(chunk.jobId(), chunk.colsA(), chunk.colStart());
    if (b == null || b.length != (long) chunk.colsA() * chunk.colsB()) {
      q.release();
      fail(chunk, "B (columns from " + chunk.colStart() + ") of job " + chunk.jobId() + " is not complete here");
      computeNext();
      return;
    }
    started(q, b);
    running = q;
    // Decoding A, multiplying and encoding C are O(chunk): on a worker thread unless instant.
    Future<QueuedChunk.Computed> product = engine.instant()
        ? Future.succeededFuture(q.compute(engine, null, b))
        : vertx.executeBlocking(() -> q.compute(engine, chunk.aRows(), b), false);
    product.onComplete(ar -> {
      running = null;
      q.release();
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
          deliver(chunk, ar.result().values(), ar.result().computeMs(), q.waitMs());
        }
      }
      if (!nextFirst) {
        computeNext();
      }
    });
  }

  /** The first time work starts on a chunk: the bytes it needs here. */
  private void started(QueuedChunk q, float[] b) {
    if (q.start()) {
      largestChunkBytes = Math.max(largestChunkBytes, ((long) q.chunk.rows() * q.chunk.colsA() + b.length
          + (long) q.chunk.rows() * q.chunk.colsB()) * Float.BYTES);
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
    drop(q -> true);
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

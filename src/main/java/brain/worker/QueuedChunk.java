package brain.worker;

import brain.worker.HeadlessWorker.Chunk;

/**
 * A chunk waiting in a headless worker's queue, and its product so far when its engine takes in
 * B's rows as they arrive ({@link MatrixEngine#accumulates}). The queue's state is confined to
 * the worker's event loop; {@link #takeBand} and {@link #compute} run on a worker thread, one at
 * a time, and what they leave is read back on the event loop after them.
 */
final class QueuedChunk {
  /** The fewest rows of B a band takes in, unless the rest of B is fewer: keeps each call a real multiply. */
  static final int MIN_BAND = 64;

  final Chunk chunk;
  /** B's body, still arriving when the chunk was queued; null when B was whole. */
  private final DataPlane.Arriving arriving;
  private MatrixEngine.Accumulation product;
  /** B's rows taken in so far. */
  private int rowsTaken;
  /** Milliseconds the bands so far took. */
  private double bandsMs;
  /** When work on it first started, or 0. */
  private long startedNanos;

  QueuedChunk(Chunk chunk, DataPlane.Arriving arriving) {
    this.chunk = chunk;
    this.arriving = arriving;
  }

  /** True once its inputs are all here: what is left can be computed in one go. */
  boolean whole() {
    return arriving == null || arriving.complete();
  }

  /** True when B's transfer failed before it was whole. */
  boolean arrivalFailed() {
    return arriving != null && !arriving.complete() && arriving.failed();
  }

  /** B's rows that have arrived, when at least a band more than taken in so far; else 0. */
  int bandReady() {
    int arrived = arriving.decoded() / chunk.colsB();
    return arrived - rowsTaken >= Math.min(MIN_BAND, chunk.colsA() - rowsTaken) ? arrived : 0;
  }

  /** Marks the start of work on it, once: returns true the first time. */
  boolean start() {
    if (startedNanos != 0) {
      return false;
    }
    startedNanos = System.nanoTime();
    return true;
  }

  /** Milliseconds from its receipt to the start of work on it. */
  double waitMs() {
    return (startedNanos - chunk.receivedNanos()) / 1e6;
  }

  /** Blocking: adds B's rows from what was taken up to {@code upTo} into the product, begun if need be. */
  void takeBand(MatrixEngine engine, int upTo) {
    long t0 = System.nanoTime();
    if (product == null) {
      product = engine.accumulate(chunk.aValues(), chunk.rows(), chunk.colsA(), chunk.bValues(), chunk.colsB());
      if (product == null) {
        throw new IllegalStateException("the engine could not begin the product");
      }
    }
    product.add(rowsTaken, upTo);
    rowsTaken = upTo;
    bandsMs += (System.nanoTime() - t0) / 1e6;
  }

  /**
   * Blocking unless the engine is instant: the product of inputs that are whole, B's last rows
   * added to what the bands took in or all of it in one multiply ({@code a} may be null for an
   * instant engine, which does not read it).
   */
  Computed compute(MatrixEngine engine, float[] a, float[] b) {
    long t0 = System.nanoTime();
    float[] c;
    if (product != null) {
      if (rowsTaken < chunk.colsA()) {
        product.add(rowsTaken, chunk.colsA());
      }
      c = product.finish();
    } else {
      c = engine.multiply(a, chunk.rows(), chunk.colsA(), b, chunk.colsB());
    }
    return new Computed(c, bandsMs + (System.nanoTime() - t0) / 1e6);
  }

  /** Frees what the product holds (native memory); called once it is done with, finished or not. */
  void release() {
    if (product != null) {
      product.close();
      product = null;
    }
  }

  /** A chunk's product and the time computing it took, bands included. */
  record Computed(float[] values, double computeMs) {
  }
}

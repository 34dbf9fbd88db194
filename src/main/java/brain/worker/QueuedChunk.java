package brain.worker;

import brain.worker.HeadlessWorker.Chunk;

/**
 * A chunk waiting in a headless worker's queue, and its product so far when its engine takes in
 * A's and B's rows as they arrive ({@link MatrixEngine#accumulates}). The queue's state is
 * confined to the worker's event loop; {@link #take} and {@link #compute} run on a worker thread,
 * one at a time, and what they leave is read back on the event loop after them.
 */
final class QueuedChunk {
  /**
   * The least work a take does, unless it is all that is left: as many multiply-adds as 64 rows
   * of B over all of A's rows, so that each call is a real multiply.
   */
  static final int MIN_B_ROWS = 64;

  final Chunk chunk;
  /** A's and B's bodies, still arriving when the chunk was queued; null when whole. */
  private final DataPlane.Arriving arrivingA;
  private final DataPlane.Arriving arrivingB;
  private MatrixEngine.Accumulation product;
  /** A's rows and B's rows taken in so far. */
  private int aRows;
  private int bRows;
  /** Milliseconds the takes so far took. */
  private double takesMs;
  /** When work on it first started, or 0. */
  private long startedNanos;

  QueuedChunk(Chunk chunk, DataPlane.Arriving arrivingA, DataPlane.Arriving arrivingB) {
    this.chunk = chunk;
    this.arrivingA = arrivingA;
    this.arrivingB = arrivingB;
  }

  /** True when the chunk's inputs have its shape, so that it can be computed as they arrive. */
  static boolean fits(Chunk chunk) {
    return chunk.rows() > 0 && chunk.aValues() != null && chunk.bValues() != null
        && chunk.aValues().length == (long) chunk.rows() * chunk.colsA()
        && chunk.bValues().length == (long) chunk.colsA() * chunk.colsB();
  }

  /** True once its inputs are all here: what is left can be computed in one go. */
  boolean whole() {
    return whole(arrivingA) && whole(arrivingB);
  }

  private static boolean whole(DataPlane.Arriving arriving) {
    return arriving == null || arriving.complete();
  }

  /** True when A's or B's transfer failed before it was whole. */
  boolean arrivalFailed() {
    return (!whole(arrivingA) && arrivingA.failed()) || (!whole(arrivingB) && arrivingB.failed());
  }

  /**
   * A's and B's rows that have arrived, {aRows, bRows}, when taking them in is worth a call (at
   * least {@link #MIN_B_ROWS} of B over all of A's rows in multiply-adds); else null.
   */
  int[] takeReady() {
    int toA = whole(arrivingA) ? chunk.rows() : arrivingA.decoded() / chunk.colsA();
    int toB = whole(arrivingB) ? chunk.colsA() : arrivingB.decoded() / chunk.colsB();
    long work = (long) aRows * (toB - bRows) + (long) (toA - aRows) * toB;
    long left = (long) chunk.rows() * chunk.colsA() - (long) aRows * bRows;
    return work > 0 && work >= Math.min((long) MIN_B_ROWS * chunk.rows(), left) ? new int[] {toA, toB} : null;
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

  /** Blocking: takes A's rows and B's rows up to these into the product, begun if need be. */
  void take(MatrixEngine engine, int toA, int toB) {
    long t0 = System.nanoTime();
    if (product == null) {
      product = engine.accumulate(chunk.aValues(), chunk.rows(), chunk.colsA(), chunk.bValues(), chunk.colsB());
      if (product == null) {
        throw new IllegalStateException("the engine could not begin the product");
      }
    }
    product.take(toA, toB);
    aRows = toA;
    bRows = toB;
    takesMs += (System.nanoTime() - t0) / 1e6;
  }

  /**
   * Blocking unless the engine is instant: the product of inputs that are whole, what is left
   * taken into the product begun, or all of it in one multiply ({@code a} may be null for an
   * instant engine, which does not read it).
   */
  Computed compute(MatrixEngine engine, float[] a, float[] b) {
    long t0 = System.nanoTime();
    float[] c;
    if (product != null) {
      product.take(chunk.rows(), chunk.colsA());
      c = product.finish();
    } else {
      c = engine.multiply(a, chunk.rows(), chunk.colsA(), b, chunk.colsB());
    }
    return new Computed(c, takesMs + (System.nanoTime() - t0) / 1e6);
  }

  /** Frees what the product holds (native memory); called once it is done with, finished or not. */
  void release() {
    if (product != null) {
      product.close();
      product = null;
    }
  }

  /** A chunk's product and the time computing it took, its takes included. */
  record Computed(float[] values, double computeMs) {
  }
}

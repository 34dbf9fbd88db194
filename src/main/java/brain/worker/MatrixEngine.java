package brain.worker;

/** How a headless worker multiplies a chunk: C_slice (rows×colsB) = A_slice (rows×colsA) · B (colsA×colsB). */
public interface MatrixEngine {
  /** "cpu" in the protocol's terms. */
  default String kind() {
    return "cpu";
  }

  /** Shown on the dashboard, e.g. "JVM CPU × 4 threads". */
  String description();

  /** True when multiply is so cheap it may run on the event loop. */
  default boolean instant() {
    return false;
  }

  /** Blocking for real engines: called on a worker thread unless {@link #instant()}. */
  float[] multiply(float[] a, int rows, int colsA, float[] b, int colsB);

  /** True when {@link #accumulate} can begin a product before A and B have all arrived. */
  default boolean accumulates() {
    return false;
  }

  /**
   * A product begun before A and B have all arrived, or null when this engine only multiplies
   * whole inputs. The caller takes in A's rows and B's rows in order as they arrive, then
   * finishes; the result equals {@link #multiply}'s up to float rounding. Blocking, like multiply.
   */
  default Accumulation accumulate(float[] a, int rows, int colsA, float[] b, int colsB) {
    return null;
  }

  /**
   * C = A·B as its inputs arrive: {@code take(r, k)} says that A's first r rows and B's first k
   * rows are final in their arrays (the rest may still be arriving, and is not read) and brings
   * C's first r rows to A[0:r, 0:k]·B[0:k, :]. r and k only grow (refused otherwise); once they
   * reach rows and colsA, {@link #finish} gives C. One caller at a time; {@link #close} releases
   * what it holds whether or not it finished.
   */
  interface Accumulation extends AutoCloseable {
    void take(int aRows, int bRows);

    /** C, once all of A and B were taken in. */
    float[] finish();

    @Override
    void close();
  }
}

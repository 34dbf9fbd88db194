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

  /** True when {@link #accumulate} can begin a product before B has all arrived. */
  default boolean accumulates() {
    return false;
  }

  /**
   * A product begun before B has all arrived, or null when this engine only multiplies whole
   * inputs. The caller adds B's rows in order as they arrive, then finishes; the result equals
   * {@link #multiply}'s up to float rounding. Blocking, like multiply.
   */
  default Accumulation accumulate(float[] a, int rows, int colsA, float[] b, int colsB) {
    return null;
  }

  /**
   * C = A·B summed over bands of B's rows: {@code add(k0, k1)} adds A[:, k0:k1]·B[k0:k1, :],
   * bands in order and without gaps from 0 to colsA, reading B's array only in that band (the
   * rest may still be arriving). One caller at a time; {@link #close} releases what it holds
   * whether or not it finished.
   */
  interface Accumulation extends AutoCloseable {
    void add(int k0, int k1);

    /** C, once every band was added. */
    float[] finish();

    @Override
    void close();
  }
}

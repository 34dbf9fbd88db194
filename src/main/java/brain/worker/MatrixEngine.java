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
}

package brain.model;

/** Assembles C from row slices as they arrive, in any order. */
public final class Stitcher {
  private final Matrix target;

  public Stitcher(int rows, int cols) {
    this.target = Matrix.zeros(rows, cols);
  }

  /** Copies a slice of {@code rows} full rows of C starting at {@code rowStart}. */
  public void put(int rowStart, int rows, float[] slice) {
    int cols = target.cols();
    if (rowStart < 0 || rows < 0 || rowStart + rows > target.rows()) {
      throw new IllegalArgumentException(
          "rows " + rowStart + ".." + (rowStart + rows) + " are outside a " + target.rows() + "-row result");
    }
    if (slice.length != rows * cols) {
      throw new IllegalArgumentException("a slice of " + rows + " rows needs " + rows * cols + " values, got " + slice.length);
    }
    System.arraycopy(slice, 0, target.data(), target.offsetOf(rowStart), slice.length);
  }

  public Matrix result() {
    return target;
  }
}

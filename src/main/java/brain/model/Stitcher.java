package brain.model;

/** Assembles C from row slices or 2-D blocks as they arrive, in any order. */
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

  /** Copies a block of {@code rows} × {@code cols} (row-major) into C at ({@code rowStart}, {@code colStart}). */
  public void put(int rowStart, int rows, int colStart, int cols, float[] block) {
    int width = target.cols();
    if (colStart == 0 && cols == width) {
      put(rowStart, rows, block);
      return;
    }
    if (rowStart < 0 || rows < 0 || rowStart + rows > target.rows() || colStart < 0 || cols < 0
        || colStart + cols > width) {
      throw new IllegalArgumentException("block " + rows + "x" + cols + " at (" + rowStart + ", " + colStart
          + ") is outside a " + target.rows() + "x" + width + " result");
    }
    if (block.length != (long) rows * cols) {
      throw new IllegalArgumentException("a block of " + rows + "x" + cols + " needs " + (long) rows * cols
          + " values, got " + block.length);
    }
    for (int i = 0; i < rows; i++) {
      System.arraycopy(block, i * cols, target.data(), target.offsetOf(rowStart + i) + colStart, cols);
    }
  }

  public Matrix result() {
    return target;
  }
}

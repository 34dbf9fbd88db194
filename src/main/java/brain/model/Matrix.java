package brain.model;

import java.util.Objects;

/**
 * A dense row-major float32 matrix. The array is shared, not copied: whoever hands a
 * Matrix over stops writing to it.
 */
public final class Matrix {
  private final int rows;
  private final int cols;
  private final float[] data;

  public Matrix(int rows, int cols, float[] data) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException("negative dimension " + rows + "x" + cols);
    }
    Objects.requireNonNull(data, "data");
    if ((long) rows * cols != data.length) {
      throw new IllegalArgumentException(
          "a " + rows + "x" + cols + " matrix needs " + ((long) rows * cols) + " values, got " + data.length);
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data;
  }

  public static Matrix zeros(int rows, int cols) {
    return new Matrix(rows, cols, new float[Math.multiplyExact(rows, cols)]);
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  /** The backing array, row-major. */
  public float[] data() {
    return data;
  }

  public float get(int row, int col) {
    return data[row * cols + col];
  }

  /** Offset of the first value of {@code row} in {@link #data()}. */
  public int offsetOf(int row) {
    return row * cols;
  }

  /** Columns {@code colStart..+count} as a matrix of their own (a copy; this one itself when that is all of it). */
  public Matrix columns(int colStart, int count) {
    if (colStart == 0 && count == cols) {
      return this;
    }
    if (colStart < 0 || count < 1 || colStart + count > cols) {
      throw new IllegalArgumentException("columns " + colStart + ".." + (colStart + count) + " are outside " + this);
    }
    float[] out = new float[rows * count];
    for (int i = 0; i < rows; i++) {
      System.arraycopy(data, i * cols + colStart, out, i * count, count);
    }
    return new Matrix(rows, count, out);
  }

  @Override
  public String toString() {
    return "Matrix[" + rows + "x" + cols + "]";
  }
}

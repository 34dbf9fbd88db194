package brain.worker;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * C = A·B taken in as A's rows and B's rows arrive (both in order), with {@code cblas_sgemm} on
 * the parts that are new: when A has its first {@code r} rows and B its first {@code k}, C's first
 * r rows hold A[0:r, 0:k]·B[0:k, :]. Going to (r', k'), the rows already there add
 * A[0:r, k:k']·B[k:k', :] (a column range of A and a row range of B, through their leading
 * dimensions) and the new rows get A[r:r', 0:k']·B[0:k', :]; every multiply-add is done once, so
 * the takes cost what one multiply would, plus a call or two each. The rows are copied into a
 * pooled off-heap scratch as they are taken in (see {@link NativeBlasEngine} for why not the
 * arrays themselves). One caller at a time.
 */
final class NativeBlasProduct implements MatrixEngine.Accumulation {
  private final NativeBlasEngine engine;
  private final float[] a;
  private final float[] b;
  private final int rows;
  private final int colsA;
  private final int colsB;
  private final NativeBlasEngine.Scratch scratch;
  private final FloatPointer pa;
  private final FloatPointer pb;
  private final FloatPointer pc;
  /** A's rows and B's rows taken in so far. */
  private int aRows;
  private int bRows;
  private boolean closed;

  NativeBlasProduct(NativeBlasEngine engine, float[] a, int rows, int colsA, float[] b, int colsB) {
    this.engine = engine;
    this.a = a;
    this.b = b;
    this.rows = rows;
    this.colsA = colsA;
    this.colsB = colsB;
    this.scratch = NativeBlasEngine.scratch();
    this.pa = scratch.a.fit((long) rows * colsA);
    this.pb = scratch.b.fit((long) colsA * colsB);
    this.pc = scratch.c.fit((long) rows * colsB);
  }

  @Override
  public void take(int toARows, int toBRows) {
    if (closed || toARows < aRows || toBRows < bRows || toARows > rows || toBRows > colsA) {
      throw new IllegalArgumentException("A's rows and B's rows only grow, to " + rows + " and " + colsA + ": "
          + toARows + " and " + toBRows + " after " + aRows + " and " + bRows);
    }
    engine.useThreads();
    if (toARows > aRows) {
      pa.position((long) aRows * colsA).put(a, aRows * colsA, (toARows - aRows) * colsA);
    }
    if (toBRows > bRows) {
      pb.position((long) bRows * colsB).put(b, bRows * colsB, (toBRows - bRows) * colsB);
    }
    if (aRows > 0 && toBRows > bRows) { // the rows of C already begun, with B's new rows (C's first touch when none were)
      sgemm(aRows, toBRows - bRows, (long) bRows, (long) bRows * colsB, 0, bRows == 0 ? 0f : 1f);
    }
    if (toARows > aRows && toBRows > 0) { // C's new rows, with all of B so far: their first touch
      sgemm(toARows - aRows, toBRows, (long) aRows * colsA, 0, (long) aRows * colsB, 0f);
    }
    aRows = toARows;
    bRows = toBRows;
  }

  /** C[c0 + m rows] (+)= A[a0 ..] · B[b0 ..], k columns of A and rows of B, at the arrays' own leading dimensions. */
  private void sgemm(int m, int k, long a0, long b0, long c0, float beta) {
    openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
        openblas_nolapack.CblasNoTrans, m, colsB, k, 1f, pa.position(a0), colsA, pb.position(b0), colsB, beta,
        pc.position(c0), colsB);
    pa.position(0);
    pb.position(0);
    pc.position(0);
  }

  @Override
  public float[] finish() {
    if (aRows != rows || bRows != colsA) {
      throw new IllegalStateException("took " + aRows + " of A's " + rows + " rows and " + bRows + " of B's " + colsA);
    }
    float[] c = new float[rows * colsB];
    pc.position(0).get(c, 0, c.length);
    return c;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      NativeBlasEngine.release(scratch);
    }
  }
}

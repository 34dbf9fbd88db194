package brain.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** An independent reference for products: plain double-precision triple loop, written for clarity. */
public final class Reference {
  private Reference() {}

  /**
   * Asserts that job {@code id}'s stored result is the product of its published inputs, all
   * three fetched as raw float32 through {@code get} (a path such as /api/jobs/ID/result → body),
   * which must send a token that may read the job (TestGrid's helpers send the admin's).
   */
  public static void assertJobProduct(java.util.function.Function<String, byte[]> get, String id, int m, int k,
      int n) {
    String job = "/api/jobs/" + id;
    assertProduct(floats(get.apply(job + "/inputs/a")), floats(get.apply(job + "/inputs/b")),
        floats(get.apply(job + "/result")), m, k, n);
  }

  public static float[] floats(byte[] littleEndian) {
    float[] out = new float[littleEndian.length / 4];
    ByteBuffer.wrap(littleEndian).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  /** Asserts C = A·B within float32 error: |c - exact| <= 4·k·2^-24·sum|a||b| for every value. */
  public static void assertProduct(float[] a, float[] b, float[] c, int m, int k, int n) {
    assertEquals((long) m * k, a.length, "A size");
    assertEquals((long) k * n, b.length, "B size");
    assertEquals((long) m * n, c.length, "C size");
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double exact = 0;
        double magnitude = 0;
        for (int p = 0; p < k; p++) {
          exact += (double) a[i * k + p] * b[p * n + j];
          magnitude += Math.abs((double) a[i * k + p] * b[p * n + j]);
        }
        double error = Math.abs(c[i * n + j] - exact);
        double tolerance = 4.0 * k * 0x1.0p-24 * magnitude + 1e-30;
        if (!(error <= tolerance)) {
          throw new AssertionError("C[" + i + "][" + j + "] = " + c[i * n + j] + " but A·B gives " + exact
              + " (error " + error + ", tolerance " + tolerance + ")");
        }
      }
    }
  }
}

package brain.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 4096×4096 float32 Fortran-order .npy (64 MiB) imported in a child JVM limited to -Xmx32m, so
 * the import provably does not hold the matrix on the heap; the output is checked value by value.
 * Set -Dmatrix.large.n=8192 for a 256 MiB run.
 */
class LargeImportTest {
  static final int N = Integer.getInteger("matrix.large.n", 4096);

  @TempDir
  Path tmp;

  static float value(long i, long j) {
    return (float) ((i * 7 + j * 13) % 4093 - 2046) / 8f;
  }

  @Test
  void largeFortranOrderImportWithASmallHeap() throws Exception {
    Path upload = tmp.resolve("big-f.npy");
    String dict = NpyFixtures.dict("<f4", true, "(" + N + ", " + N + ")");
    byte[] header = NpyFixtures.npy(1, dict, new byte[0]);
    ByteBuffer buf = ByteBuffer.allocate(N * 4).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel out = FileChannel.open(upload, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      out.write(ByteBuffer.wrap(header));
      for (int j = 0; j < N; j++) { // column-major: one column at a time
        buf.clear();
        for (int i = 0; i < N; i++) {
          buf.putFloat(value(i, j));
        }
        buf.flip();
        while (buf.hasRemaining()) {
          out.write(buf);
        }
      }
    }
    Path dir = tmp.resolve("store");
    String classpath = Path.of(MatrixFiles.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        + java.io.File.pathSeparator
        + Path.of(LargeImportMain.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        + java.io.File.pathSeparator
        + Path.of(brain.model.ApiError.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx32m", "-cp", classpath, LargeImportMain.class.getName(), upload.toString(), dir.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    String[] f = out.split(" ");
    System.out.printf("large import %dx%d Fortran float32 (%d MiB): %s ms, peak heap %.1f MiB of max %.1f MiB%n",
        N, N, (long) N * N * 4 >> 20, f[3], Long.parseLong(f[4]) / 1048576.0, Long.parseLong(f[5]) / 1048576.0);

    // expected hashes, streaming the row-major values
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    MessageDigest id = MessageDigest.getInstance("SHA-256");
    id.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(N).putInt(N).array());
    Path stored = dir.resolve(f[0] + ".f32");
    assertEquals(List.of(stored.getFileName().toString()), NpyFixtures.listing(dir));
    assertEquals((long) N * N * 4, Files.size(stored));
    try (FileChannel in = FileChannel.open(stored, StandardOpenOption.READ)) {
      for (int i = 0; i < N; i++) {
        buf.clear();
        while (buf.hasRemaining()) {
          if (in.read(buf) < 0) {
            throw new IOException("short output");
          }
        }
        buf.flip();
        for (int j = 0; j < N; j++) {
          float got = buf.getFloat(j * 4);
          if (got != value(i, j)) {
            throw new AssertionError("value at " + i + "," + j + " is " + got + ", expected " + value(i, j));
          }
        }
        sha.update(buf.array());
        id.update(buf.array());
      }
    }
    assertEquals(HexFormat.of().formatHex(sha.digest()), f[1]);
    assertEquals("m-" + HexFormat.of().formatHex(id.digest()).substring(0, 32), f[0]);

    if (NpyFixtures.hasNumpy()) { // numpy reads the same upload and agrees on the row-major bytes
      String py = NpyFixtures.python(tmp, String.join("\n",
          "import hashlib, numpy as np",
          "a = np.load('big-f.npy', mmap_mode='r')",
          "print(a.flags.f_contiguous, hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest())"));
      assertEquals("True " + f[1], py.strip());
    }
  }
}

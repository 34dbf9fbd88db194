package brain.matrix;

import static brain.matrix.MatrixFilesTest.check;
import static brain.matrix.NpyFixtures.assumeNumpy;
import static brain.matrix.NpyFixtures.listing;
import static brain.matrix.NpyFixtures.python;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brain.model.ApiError;
import brain.model.Matrix;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MatrixFiles against files made and read by real NumPy (skipped, not failed, where numpy is missing). */
class MatrixFilesNumpyTest {
  static final MatrixFiles.Limits LIMITS = new MatrixFiles.Limits(4096, 1 << 22);

  @TempDir
  Path tmp;

  static final String GOOD = String.join("\n",
      "import hashlib, struct, sys, numpy as np",
      "from numpy.lib import format as fmt",
      "rng = np.random.default_rng(20240610)",
      "for r, c in [(1, 1), (1, 7), (7, 1), (65, 129)]:",
      "    a = rng.standard_normal((r, c)).astype(np.float32)",
      "    a.flat[0] = -0.0",
      "    if a.size > 2: a.flat[2] = np.float32(1e-42)",
      "    a.tofile(f'{r}x{c}.raw')",
      "    for v in [(1, 0), (2, 0), (3, 0)]:",
      "        for dt in ['<f4', '<f8']:",
      "            for order in 'CF':",
      "                arr = np.asarray(a, dtype=dt, order=order)",
      "                with open(f'{r}x{c}-{dt[1:]}-{order}-v{v[0]}.npy', 'wb') as f:",
      "                    fmt.write_array(f, arr, version=v)",
      "    np.save(f'{r}x{c}-save.npy', np.asfortranarray(a))",
      "    d = rng.standard_normal((r, c))",
      "    np.save(f'{r}x{c}-f8inexact.npy', np.asfortranarray(d))",
      "    d.astype(np.float32).tofile(f'{r}x{c}-f8inexact.raw')",
      "    print(r, c, hashlib.sha256(a.tobytes()).hexdigest(),",
      "          'm-' + hashlib.sha256(struct.pack('<ii', r, c) + a.tobytes()).hexdigest()[:32])");

  @Test
  void numpyFilesOfEveryVersionDtypeAndOrderImportToTheSameMatrix() throws Exception {
    assumeNumpy();
    Path fixtures = Files.createDirectories(tmp.resolve("fixtures"));
    String out = python(fixtures, GOOD);
    List<String> lines = out.strip().lines().toList();
    assertEquals(4, lines.size(), out);
    for (String line : lines) {
      String[] f = line.split(" ");
      int r = Integer.parseInt(f[0]);
      int c = Integer.parseInt(f[1]);
      String sha = f[2];
      String id = f[3];
      String name = r + "x" + c;
      Path dir = tmp.resolve("store-" + name);
      byte[] raw = Files.readAllBytes(fixtures.resolve(name + ".raw"));
      MatrixFiles.Imported fromRaw = MatrixFiles.importRaw(fixtures.resolve(name + ".raw"), r, c, dir, LIMITS);
      assertEquals(new MatrixFiles.Imported(id, r, c, raw.length, sha, dir.resolve(id + ".f32")), fromRaw, name);
      int files = 0;
      for (int v = 1; v <= 3; v++) {
        for (String dt : List.of("f4", "f8")) {
          for (String order : List.of("C", "F")) {
            String file = name + "-" + dt + "-" + order + "-v" + v + ".npy";
            byte[] bytes = Files.readAllBytes(fixtures.resolve(file));
            assertEquals(v, bytes[6], file + " is format " + v + ".0");
            assertEquals(fromRaw, MatrixFiles.importNpy(fixtures.resolve(file), dir, LIMITS), file);
            files++;
          }
        }
      }
      assertEquals(fromRaw, MatrixFiles.importNpy(fixtures.resolve(name + "-save.npy"), dir, LIMITS));
      assertEquals(12, files);
      assertEquals(List.of(id + ".f32"), listing(dir), "one file for all forms of " + name);
      assertArrayEquals(raw, Files.readAllBytes(fromRaw.file()));
      Matrix m = MatrixFiles.load(fromRaw.file(), r, c);
      assertEquals(id, MatrixFiles.idOf(r, c, m.data()));
      // float64 values that are not float32-exact: rounded as numpy's astype(float32) rounds
      MatrixFiles.Imported inexact = MatrixFiles.importNpy(fixtures.resolve(name + "-f8inexact.npy"), dir, LIMITS);
      assertArrayEquals(Files.readAllBytes(fixtures.resolve(name + "-f8inexact.raw")), Files.readAllBytes(inexact.file()));
    }
  }

  static final String BAD = String.join("\n",
      "import numpy as np",
      "from numpy.lib import format as fmt",
      "a = np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5",
      "np.save('i4.npy', a.astype(np.int32))",
      "np.save('i8.npy', a.astype(np.int64))",
      "np.save('u1.npy', a.astype(np.uint8))",
      "np.save('bool.npy', a > 0)",
      "np.save('c8.npy', a.astype(np.complex64))",
      "np.save('c16.npy', a.astype(np.complex128))",
      "np.save('f2.npy', a.astype(np.float16))",
      "np.save('obj.npy', a.astype(object), allow_pickle=True)",
      "np.save('be4.npy', a.astype('>f4'))",
      "np.save('be8.npy', a.astype('>f8'))",
      "np.save('str.npy', a.astype(str))",
      "np.save('rec.npy', np.zeros(3, dtype=[('x', '<f4'), ('y', '<f4')]))",
      "np.save('1d.npy', a.ravel())",
      "np.save('3d.npy', a.reshape(3, 2, 2))",
      "np.save('0d.npy', np.float32(3))",
      "np.save('zero.npy', np.zeros((0, 5), dtype=np.float32))",
      "np.savez('z.npz', a=a)",
      "n = a.copy(); n[2, 1] = np.nan; n[1, 3] = np.inf; np.save('nan.npy', n)",
      "n = a.copy(); n[2, 3] = -np.inf; np.save('ninf-f.npy', np.asfortranarray(n))",
      "n = a.astype(np.float64); n[1, 2] = 1e300; np.save('big8.npy', n)",
      "n = a.astype(np.float64); n[0, 1] = np.nan; np.save('nan8-f.npy', np.asfortranarray(n))",
      "np.save('big.npy', np.zeros((4097, 2), dtype=np.float32))",
      "np.save('many.npy', np.zeros((2048, 2049), dtype=np.float32))",
      "b = open('nan.npy', 'rb').read()",
      "np.save('ok.npy', a)",
      "b = open('ok.npy', 'rb').read()",
      "open('short.npy', 'wb').write(b[:-4])",
      "open('long.npy', 'wb').write(b + b'\\0\\0\\0\\0')",
      "with open('v2-short.npy', 'wb') as f: fmt.write_array(f, a, version=(2, 0))",
      "b = open('v2-short.npy', 'rb').read(); open('v2-short.npy', 'wb').write(b[:-1])");

  @Test
  void numpyMadeBadUploadsAreRefusedAndStoreNothing() throws Exception {
    assumeNumpy();
    Path fixtures = Files.createDirectories(tmp.resolve("bad"));
    python(fixtures, BAD);
    Map<String, Object[]> cases = new HashMap<>();
    cases.put("i4.npy", new Object[] {400, "unsupported dtype '<i4'", "32-bit signed integer", "'<f4'"});
    cases.put("i8.npy", new Object[] {400, "'<i8'", "64-bit signed integer"});
    cases.put("u1.npy", new Object[] {400, "'|u1'", "8-bit unsigned integer"});
    cases.put("bool.npy", new Object[] {400, "'|b1'", "boolean"});
    cases.put("c8.npy", new Object[] {400, "'<c8'", "complex64"});
    cases.put("c16.npy", new Object[] {400, "'<c16'", "complex128"});
    cases.put("f2.npy", new Object[] {400, "'<f2'", "float16"});
    cases.put("obj.npy", new Object[] {400, "'|O'", "Python objects"});
    cases.put("be4.npy", new Object[] {400, "'>f4'", "big-endian float32"});
    cases.put("be8.npy", new Object[] {400, "'>f8'", "big-endian float64"});
    cases.put("str.npy", new Object[] {400, "unicode strings"});
    cases.put("rec.npy", new Object[] {400, "unsupported dtype [('x', '<f4'), ('y', '<f4')]"});
    cases.put("1d.npy", new Object[] {400, "shape (12,) is 1-D"});
    cases.put("3d.npy", new Object[] {400, "shape (3, 2, 2) is 3-D"});
    cases.put("0d.npy", new Object[] {400, "shape () is 0-D"});
    cases.put("zero.npy", new Object[] {400, "shape (0, 5) has a zero dimension"});
    cases.put("z.npz", new Object[] {400, "not a .npy file", "zip"});
    cases.put("nan.npy", new Object[] {400, "Infinity at row 1, col 3"});
    cases.put("ninf-f.npy", new Object[] {400, "-Infinity at row 2, col 3"});
    cases.put("big8.npy", new Object[] {400, "1.0E300 at row 1, col 2", "float32 range"});
    cases.put("nan8-f.npy", new Object[] {400, "NaN at row 0, col 1"});
    cases.put("big.npy", new Object[] {413, "4097 rows", "limits.maxDimension = 4096"});
    cases.put("many.npy", new Object[] {413, "4196352 elements", "limits.maxElements = 4194304"});
    cases.put("short.npy", new Object[] {400, "body is 44 bytes", "needs 48 bytes", "truncated"});
    cases.put("long.npy", new Object[] {400, "body is 52 bytes", "needs 48 bytes", "longer"});
    cases.put("v2-short.npy", new Object[] {400, "body is 47 bytes", "needs 48 bytes"});
    for (Map.Entry<String, Object[]> c : cases.entrySet()) {
      Path dir = Files.createDirectories(tmp.resolve("store-" + c.getKey()));
      ApiError e = assertThrows(ApiError.class, () -> MatrixFiles.importNpy(fixtures.resolve(c.getKey()), dir, LIMITS),
          c.getKey());
      Object[] expected = c.getValue();
      String[] fragments = new String[expected.length - 1];
      for (int i = 1; i < expected.length; i++) {
        fragments[i - 1] = (String) expected[i];
      }
      check(e, (Integer) expected[0], fragments);
      assertEquals(List.of(), listing(dir), c.getKey());
    }
    // the good one among them imports
    MatrixFiles.Imported ok = MatrixFiles.importNpy(fixtures.resolve("ok.npy"), tmp.resolve("store-ok"), LIMITS);
    assertEquals(3, ok.rows());
    assertEquals(4, ok.cols());
  }

  @Test
  void npyHeaderPlusRawFileIsReadByNumpyLoad() throws Exception {
    assumeNumpy();
    Path dir = Files.createDirectories(tmp.resolve("dl"));
    int[][] shapes = {{1, 1}, {1, 7}, {7, 1}, {65, 129}, {100000, 3}};
    StringBuilder expected = new StringBuilder();
    for (int[] s : shapes) {
      float[] v = NpyFixtures.values(s[0], s[1], s[0] + s[1]);
      Path raw = dir.resolve(s[0] + "x" + s[1] + ".f32");
      MatrixFiles.writeRaw(new Matrix(s[0], s[1], v), raw);
      Path npy = dir.resolve(s[0] + "x" + s[1] + ".npy");
      try (OutputStream o = Files.newOutputStream(npy)) {
        o.write(MatrixFiles.npyHeader(s[0], s[1]));
        Files.copy(raw, o);
      }
      expected.append(npy.getFileName()).append(" (").append(s[0]).append(", ").append(s[1]).append(") <f4 True ")
          .append(MatrixFilesTest.sha256(NpyFixtures.f4(v))).append('\n');
    }
    String script = String.join("\n",
        "import hashlib, sys, numpy as np",
        "for name in sys.argv[1:]:",
        "    a = np.load(name)",
        "    print(name, a.shape, a.dtype.str, a.flags.c_contiguous, hashlib.sha256(a.tobytes()).hexdigest())");
    String[] names = new String[shapes.length];
    for (int i = 0; i < shapes.length; i++) {
      names[i] = shapes[i][0] + "x" + shapes[i][1] + ".npy";
    }
    String out = python(dir, script, names);
    assertEquals(expected.toString(), out.replace("\r", ""));
    // and our reader takes the download back as an upload
    MatrixFiles.Imported back = MatrixFiles.importNpy(dir.resolve("65x129.npy"), tmp.resolve("store"), LIMITS);
    assertEquals(MatrixFiles.idOf(65, 129, NpyFixtures.values(65, 129, 194)), back.id());
    assertTrue(Files.exists(back.file()));
  }
}

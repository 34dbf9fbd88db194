package brain.matrix;

import static brain.matrix.NpyFixtures.columnMajor;
import static brain.matrix.NpyFixtures.dict;
import static brain.matrix.NpyFixtures.f4;
import static brain.matrix.NpyFixtures.f8;
import static brain.matrix.NpyFixtures.listing;
import static brain.matrix.NpyFixtures.npy;
import static brain.matrix.NpyFixtures.values;
import static brain.matrix.NpyFixtures.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brain.model.ApiError;
import brain.model.Matrix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MatrixFiles with hand-made .npy files: runs everywhere, numpy or not. */
class MatrixFilesTest {
  static final MatrixFiles.Limits LIMITS = new MatrixFiles.Limits(4096, 1 << 22);

  @TempDir
  Path tmp;

  Path upload(String name, byte[] bytes) throws IOException {
    Path p = tmp.resolve("uploads").resolve(name);
    Files.createDirectories(p.getParent());
    return Files.write(p, bytes);
  }

  @Test
  void allFormsOfOneMatrixGetOneIdAndOneFile() throws Exception {
    int[][] shapes = {{1, 1}, {1, 7}, {7, 1}, {65, 129}, {3, 4}};
    for (int[] s : shapes) {
      int r = s[0];
      int c = s[1];
      float[] v = values(r, c, r * 1000 + c);
      String shape = "(" + r + ", " + c + ")";
      Path dir = tmp.resolve("store-" + r + "x" + c);
      String id = MatrixFiles.idOf(r, c, v);
      String sha = sha256(f4(v));
      MatrixFiles.Imported raw = MatrixFiles.importRaw(upload(r + "x" + c + ".raw", f4(v)), r, c, dir, LIMITS);
      assertEquals(new MatrixFiles.Imported(id, r, c, 4L * r * c, sha, dir.resolve(id + ".f32")), raw);
      for (int major = 1; major <= 3; major++) {
        byte[][] forms = {
          npy(major, dict("<f4", false, shape), f4(v)),
          npy(major, dict("<f4", true, shape), f4(columnMajor(v, r, c))),
          npy(major, dict("<f8", false, shape), f8(widen(v))),
          npy(major, dict("<f8", true, shape), f8(widen(columnMajor(v, r, c)))),
        };
        for (int f = 0; f < forms.length; f++) {
          MatrixFiles.Imported got = MatrixFiles.importNpy(upload("f" + f + "v" + major + ".npy", forms[f]), dir, LIMITS);
          assertEquals(raw, got, "form " + f + " version " + major + " of " + shape);
        }
      }
      assertEquals(List.of(id + ".f32"), listing(dir));
      Matrix m = MatrixFiles.load(raw.file(), r, c);
      assertArrayEquals(v, m.data());
      assertArrayEquals(f4(v), Files.readAllBytes(raw.file()));
    }
  }

  @Test
  void idIsTheDocumentedHash() throws Exception {
    float[] v = {1f, -2.5f, 3f, 0f, -0f, 6f};
    ByteBuffer b = ByteBuffer.allocate(8 + 24).order(ByteOrder.LITTLE_ENDIAN).putInt(2).putInt(3);
    b.put(f4(v));
    assertEquals("m-" + sha256(b.array()).substring(0, 32), MatrixFiles.idOf(2, 3, v));
    // the shape is part of the id, -0.0 differs from 0.0
    assertTrue(!MatrixFiles.idOf(3, 2, v).equals(MatrixFiles.idOf(2, 3, v)));
    float[] w = v.clone();
    w[4] = 0f;
    assertTrue(!MatrixFiles.idOf(2, 3, w).equals(MatrixFiles.idOf(2, 3, v)));
    assertThrows(IllegalArgumentException.class, () -> MatrixFiles.idOf(2, 2, v));
  }

  @Test
  void float64IsRoundedToFloat32() throws Exception {
    double[] d = {0.1, 1.0 / 3, -2.0 / 3, 1e-46, 3.4028235e38, 123456789.123};
    float[] expected = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      expected[i] = (float) d[i];
    }
    Path dir = tmp.resolve("store");
    MatrixFiles.Imported c = MatrixFiles.importNpy(upload("c.npy", npy(1, dict("<f8", false, "(2, 3)"), f8(d))), dir, LIMITS);
    assertArrayEquals(expected, MatrixFiles.load(c.file(), 2, 3).data());
    assertEquals(MatrixFiles.idOf(2, 3, expected), c.id());
  }

  @Test
  void headerDictInAnyKeyOrderWithSpacesAndWithoutTrailingComma() throws Exception {
    float[] v = values(2, 3, 5);
    Path dir = tmp.resolve("store");
    String[] dicts = {
      "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
      "{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(2,3,),}",
      "  { 'fortran_order' : False , 'shape' : ( 2 , 3 ) , 'descr' : '<f4' , }  ",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
    };
    for (int i = 0; i < dicts.length; i++) {
      MatrixFiles.Imported got = MatrixFiles.importNpy(upload(i + ".npy", npy(1, dicts[i], f4(v))), dir, LIMITS);
      assertEquals(MatrixFiles.idOf(2, 3, v), got.id(), dicts[i]);
    }
  }

  @Test
  void npyHeaderIsNumpysFormat1Layout() {
    for (int[] s : new int[][] {{1, 1}, {65, 129}, {100000, 3}, {Integer.MAX_VALUE, Integer.MAX_VALUE}}) {
      byte[] h = MatrixFiles.npyHeader(s[0], s[1]);
      assertEquals(0, h.length % 64);
      assertArrayEquals(NpyHeader.MAGIC, java.util.Arrays.copyOf(h, 6));
      assertEquals(1, h[6]);
      assertEquals(0, h[7]);
      assertEquals(h.length - 10, (h[8] & 0xff) | (h[9] & 0xff) << 8);
      assertEquals('\n', h[h.length - 1]);
      String text = new String(h, 10, h.length - 10, StandardCharsets.ISO_8859_1);
      assertTrue(text.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (" + s[0] + ", " + s[1] + "), }"), text);
      NpyHeader parsed = NpyHeader.parse(1, 0, text, h.length);
      assertEquals("<f4", parsed.descr());
      assertArrayEquals(new long[] {s[0], s[1]}, parsed.shape());
    }
    assertEquals(128, MatrixFiles.npyHeader(3, 4).length); // 60-character dict + 10 + 1 > 64
  }

  @Test
  void writeRawAndLoadRoundTrip() throws Exception {
    float[] v = values(37, 11, 9);
    Path file = tmp.resolve("sub/dir/m.f32");
    MatrixFiles.writeRaw(new Matrix(37, 11, v), file);
    assertArrayEquals(f4(v), Files.readAllBytes(file));
    assertArrayEquals(v, MatrixFiles.load(file, 37, 11).data());
    MatrixFiles.writeRaw(new Matrix(1, 1, new float[] {4f}), file); // replaces
    assertArrayEquals(new float[] {4f}, MatrixFiles.load(file, 1, 1).data());
    assertEquals(List.of("m.f32"), listing(file.getParent()));
    assertThrows(IllegalArgumentException.class, () -> MatrixFiles.load(file, 2, 1));
  }

  @Test
  void existingFileIsKeptAndTheNewOneDeleted() throws Exception {
    float[] v = values(4, 5, 1);
    Path dir = tmp.resolve("store");
    MatrixFiles.Imported first = MatrixFiles.importRaw(upload("a.raw", f4(v)), 4, 5, dir, LIMITS);
    long inode = (long) Files.getAttribute(first.file(), "unix:ino");
    MatrixFiles.Imported again = MatrixFiles.importNpy(upload("a.npy", npy(2, dict("<f4", true, "(4, 5)"), f4(columnMajor(v, 4, 5)))), dir, LIMITS);
    assertEquals(first, again);
    assertEquals(inode, (long) Files.getAttribute(again.file(), "unix:ino"));
    assertEquals(List.of(first.id() + ".f32"), listing(dir));
  }

  // ------------------------------------------------------------------ refusals

  void refused(int status, byte[] npyBytes, String... fragments) throws IOException {
    Path dir = tmp.resolve("refused");
    Files.createDirectories(dir);
    ApiError e = assertThrows(ApiError.class, () -> MatrixFiles.importNpy(upload("bad.npy", npyBytes), dir, LIMITS));
    check(e, status, fragments);
    assertEquals(List.of(), listing(dir), "nothing stored for " + e.getMessage());
  }

  static void check(ApiError e, int status, String... fragments) {
    assertEquals(status, e.status(), e.getMessage());
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
    }
  }

  @Test
  void wrongMagicAndVersions() throws Exception {
    float[] v = values(2, 2, 1);
    refused(400, "PK\3\4 not an npy".getBytes(StandardCharsets.ISO_8859_1), "not a .npy file", "50 4b 03 04", "zip");
    refused(400, new byte[0], "empty");
    refused(400, new byte[] {(byte) 0x93, 'N', 'U'}, "not a .npy file");
    refused(400, f4(v), "not a .npy file", "\\x93NUMPY");
    byte[] v4 = npy(2, dict("<f4", false, "(2, 2)"), f4(v));
    v4[6] = 4;
    refused(400, v4, "unsupported .npy format version 4.0", "1.0, 2.0 and 3.0");
    byte[] v11 = npy(1, dict("<f4", false, "(2, 2)"), f4(v));
    v11[7] = 1;
    refused(400, v11, "version 1.1");
    refused(400, java.util.Arrays.copyOf(npy(1, dict("<f4", false, "(2, 2)"), f4(v)), 40), "truncated .npy header");
    refused(400, java.util.Arrays.copyOf(npy(1, dict("<f4", false, "(2, 2)"), f4(v)), 9), "truncated .npy header");
    byte[] huge = npy(2, dict("<f4", false, "(2, 2)"), f4(v));
    huge[11] = 0x10;
    refused(400, huge, "header claims to be");
  }

  @Test
  void unsupportedDtypesAreNamed() throws Exception {
    byte[] body = new byte[16];
    refused(400, npy(1, dict(">f4", false, "(2, 2)"), body), "unsupported dtype '>f4'", "big-endian float32", "'<f4'", "'<f8'");
    refused(400, npy(1, dict("<i4", false, "(2, 2)"), body), "'<i4'", "32-bit signed integer");
    refused(400, npy(1, dict("<i8", false, "(2, 2)"), body), "'<i8'", "64-bit signed integer");
    refused(400, npy(1, dict("|u1", false, "(2, 2)"), body), "'|u1'", "8-bit unsigned integer");
    refused(400, npy(1, dict("|b1", false, "(2, 2)"), body), "'|b1'", "boolean");
    refused(400, npy(1, dict("<c8", false, "(2, 2)"), body), "'<c8'", "complex64");
    refused(400, npy(1, dict("|O", false, "(2, 2)"), body), "'|O'", "Python objects");
    refused(400, npy(1, dict("<f2", false, "(2, 2)"), body), "'<f2'", "float16");
    refused(400, npy(1, dict(">f8", false, "(2, 2)"), body), "'>f8'", "big-endian float64");
    refused(400, npy(1, dict("<U3", false, "(2, 2)"), body), "'<U3'", "unicode");
    refused(400, npy(1, "{'descr': [('x', '<f4'), ('y', '<f4')], 'fortran_order': False, 'shape': (2, 2), }", body),
        "unsupported dtype [('x', '<f4'), ('y', '<f4')]", "structured");
  }

  @Test
  void shapesThatAreNotAMatrix() throws Exception {
    refused(400, npy(1, dict("<f4", false, "(4,)"), new byte[16]), "shape (4,) is 1-D", "exactly 2-D");
    refused(400, npy(1, dict("<f4", false, "()"), new byte[4]), "shape () is 0-D");
    refused(400, npy(1, dict("<f4", false, "(2, 2, 1)"), new byte[16]), "shape (2, 2, 1) is 3-D");
    refused(400, npy(1, dict("<f4", false, "(0, 5)"), new byte[0]), "shape (0, 5)", "zero dimension");
    refused(400, npy(1, dict("<f4", true, "(5, 0)"), new byte[0]), "shape (5, 0)", "zero dimension");
  }

  @Test
  void limitsAre413() throws Exception {
    refused(413, npy(1, dict("<f4", false, "(4097, 1)"), new byte[0]), "4097 rows", "limits.maxDimension = 4096");
    refused(413, npy(1, dict("<f4", false, "(1, 5000)"), new byte[0]), "5000 columns", "limits.maxDimension = 4096");
    refused(413, npy(1, dict("<f4", false, "(4096, 1025)"), new byte[0]), "4198400 elements", "limits.maxElements = 4194304");
    refused(413, npy(1, dict("<f4", false, "(99999999999999999999999, 2)"), new byte[0]), "limits.maxDimension");
  }

  @Test
  void bodyLengthMustMatchTheShape() throws Exception {
    float[] v = values(3, 5, 2);
    byte[] good = f4(v);
    refused(400, npy(1, dict("<f4", false, "(3, 5)"), java.util.Arrays.copyOf(good, 59)),
        "body is 59 bytes", "needs 60 bytes", "truncated");
    refused(400, npy(1, dict("<f4", false, "(3, 5)"), java.util.Arrays.copyOf(good, 64)),
        "body is 64 bytes", "needs 60 bytes", "longer than the shape says");
    refused(400, npy(3, dict("<f8", true, "(3, 5)"), good), "body is 60 bytes", "needs 120 bytes");
    refused(400, npy(1, dict("<f4", false, "(3, 5)"), new byte[0]), "body is 0 bytes");
  }

  @Test
  void nonFiniteValuesNameTheFirstPosition() throws Exception {
    int r = 70;
    int c = 90;
    float[] v = values(r, c, 3);
    v[40 * c + 7] = Float.NaN;
    v[50 * c + 2] = Float.POSITIVE_INFINITY;
    v[40 * c + 60] = Float.NEGATIVE_INFINITY;
    v[60 * c + 1] = Float.NaN; // comes first in column-major order but later in row-major order
    String shape = "(" + r + ", " + c + ")";
    for (int major = 1; major <= 3; major++) {
      refused(400, npy(major, dict("<f4", false, shape), f4(v)), "NaN at row 40, col 7");
      refused(400, npy(major, dict("<f4", true, shape), f4(columnMajor(v, r, c))), "NaN at row 40, col 7");
      refused(400, npy(major, dict("<f8", false, shape), f8(widen(v))), "NaN at row 40, col 7");
      refused(400, npy(major, dict("<f8", true, shape), f8(widen(columnMajor(v, r, c)))), "NaN at row 40, col 7");
    }
    float[] w = values(2, 3, 1);
    w[5] = Float.NEGATIVE_INFINITY;
    refused(400, npy(1, dict("<f4", true, "(2, 3)"), f4(columnMajor(w, 2, 3))), "-Infinity at row 1, col 2");
    w[4] = Float.POSITIVE_INFINITY;
    refused(400, npy(1, dict("<f4", false, "(2, 3)"), f4(w)), "Infinity at row 1, col 1");
    double[] d = widen(values(2, 3, 1));
    d[4] = 1e300;
    refused(400, npy(1, dict("<f8", false, "(2, 3)"), f8(d)), "1.0E300 at row 1, col 1", "outside the float32 range");
    refused(400, npy(1, dict("<f8", true, "(3, 2)"), f8(d)), "1.0E300 at row 1, col 1", "outside the float32 range");
    Path dir = tmp.resolve("raw");
    ApiError e = assertThrows(ApiError.class, () -> MatrixFiles.importRaw(upload("nan.raw", f4(w)), 2, 3, dir, LIMITS));
    check(e, 400, "Infinity at row 1, col 1");
    assertEquals(List.of(), listing(dir));
  }

  @Test
  void malformedHeaders() throws Exception {
    byte[] body = f4(values(2, 2, 1));
    String[] bad = {
      "",
      "{",
      "{'descr': '<f4', 'fortran_order': False}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'extra': 1}",
      "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)}",
      "{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 2)}",
      "{'descr': '<f4', 'fortran_order': false, 'shape': (2, 2)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 2]}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 02)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2.0, 2)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), } x",
      "{'descr': '<f4' 'fortran_order': False, 'shape': (2, 2)}",
      "{'descr': '<f4, 'fortran_order': False, 'shape': (2, 2)}",
      "{'descr': 4, 'fortran_order': False, 'shape': (2, 2)}",
      "{descr: '<f4', 'fortran_order': False, 'shape': (2, 2)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,, 2)}",
      "{'descr': '\\x3cf4', 'fortran_order': False, 'shape': (2, 2)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2),,}",
      "['descr', '<f4']",
      "{'descr': '<f4', 'fortran_order': False, 'shape': __import__('os')}",
    };
    for (String dict : bad) {
      refused(400, npy(1, dict, body), "malformed .npy header");
    }
    byte[] badUtf8 = npy(3, dict("<f4", false, "(2, 2)"), body);
    badUtf8[14] = (byte) 0xff; // inside 'descr'
    refused(400, badUtf8, "UTF-8");
  }

  @Test
  void rawUploadRefusals() throws Exception {
    Path dir = tmp.resolve("raw");
    Path file = upload("r.raw", new byte[24]);
    check(assertThrows(ApiError.class, () -> MatrixFiles.importRaw(file, 2, 4, dir, LIMITS)), 400,
        "body is 24 bytes", "rows=2, cols=4", "needs 32 bytes", "truncated");
    check(assertThrows(ApiError.class, () -> MatrixFiles.importRaw(file, 1, 5, dir, LIMITS)), 400,
        "needs 20 bytes", "longer than the shape says");
    check(assertThrows(ApiError.class, () -> MatrixFiles.importRaw(file, 0, 6, dir, LIMITS)), 400, "zero dimension");
    check(assertThrows(ApiError.class, () -> MatrixFiles.importRaw(file, -1, 6, dir, LIMITS)), 400, "negative");
    check(assertThrows(ApiError.class, () -> MatrixFiles.importRaw(file, 6, 5000, dir, LIMITS)), 413, "limits.maxDimension = 4096");
    check(assertThrows(ApiError.class, () -> MatrixFiles.importRaw(file, 2048, 4096, dir, new MatrixFiles.Limits(4096, 1000))),
        413, "limits.maxElements = 1000");
    assertEquals(List.of(), listing(dir));
    // the matching shape imports
    MatrixFiles.Imported ok = MatrixFiles.importRaw(file, 2, 3, dir, LIMITS);
    assertEquals(MatrixFiles.idOf(2, 3, new float[6]), ok.id());
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}

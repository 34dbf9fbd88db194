package brain.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import brain.Main;
import brain.testing.TestGrid;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The client commands ({@code submit}, {@code status}, {@code result}, {@code cancel}, {@code jobs}) end
 * to end against a real server with real headless workers: run in this process as {@code Main} runs
 * them (output captured, so not a terminal: no bars), and as a child JVM under a pseudo-terminal
 * ({@code script}), where the bars must show. Also the README's Python round trip, run as written.
 */
@Timeout(300)
class ClientCommandsTest {
  /** Glyphs of the progress bars (UNICODE_BLOCK and ASCII styles), and the carriage return that redraws them. */
  private static final List<String> BAR_GLYPHS = List.of("█", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "\r", "MiB", "KiB");

  static TestGrid grid;

  @TempDir
  Path dir;

  @BeforeAll
  static void startGrid() {
    grid = TestGrid.start();
    grid.worker("w1");
    grid.worker("w2");
  }

  @AfterAll
  static void stopGrid() {
    if (grid != null) {
      grid.close();
    }
  }

  record Run(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /** The command line in this process, exactly as {@code Main.main} runs it, stdout and stderr captured. */
  static synchronized Run cli(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = new CommandLine(new Main()).execute(args);
      System.out.flush();
      System.err.flush();
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  private static String[] withServer(TestGrid on, String token, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--server", on.baseUrl(), "--token", token));
    return all.toArray(String[]::new);
  }

  private static Run as(String token, String... args) {
    return cli(withServer(grid, token, args));
  }

  private static Run admin(String... args) {
    return as(grid.adminToken(), args);
  }

  private static void assertNoBars(Run run) {
    for (String glyph : BAR_GLYPHS) {
      assertFalse(run.err().contains(glyph), "progress drawn without a terminal (" + glyph + "): " + run);
    }
    assertFalse(run.err().contains("%"), "progress drawn without a terminal: " + run);
  }

  // ------------------------------------------------------------------ .npy files

  /** A row-major float32 matrix. */
  record Matrix(int rows, int cols, float[] values) {
    double at(int i, int j) {
      return values[i * cols + j];
    }
  }

  static Matrix random(int rows, int cols, long seed) {
    Random random = new Random(seed);
    float[] values = new float[rows * cols];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextGaussian());
    }
    return new Matrix(rows, cols, values);
  }

  /** Writes a version 1.0 .npy: magic, header length, the header dict padded to 64 bytes, float32 LE data. */
  static void writeNpy(Path file, Matrix m) throws IOException {
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + m.rows() + ", " + m.cols() + "), }";
    int unpadded = 10 + dict.length() + 1;
    String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
    ByteBuffer buf = ByteBuffer.allocate(10 + header.length() + 4 * m.values().length).order(ByteOrder.LITTLE_ENDIAN);
    buf.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
    buf.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
    for (float v : m.values()) {
      buf.putFloat(v);
    }
    Files.write(file, buf.array());
  }

  /** Reads a 2-D .npy of {@code <f4} or {@code <f8}, C or Fortran order (versions 1.0 to 3.0). */
  static Matrix readNpy(Path file) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[6];
    buf.get(magic);
    assertArrayEquals(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'}, magic, file + " is not a .npy file");
    int major = buf.get();
    buf.get();
    int headerLength = major == 1 ? Short.toUnsignedInt(buf.getShort()) : buf.getInt();
    byte[] header = new byte[headerLength];
    buf.get(header);
    String dict = new String(header, StandardCharsets.ISO_8859_1);
    Matcher descr = Pattern.compile("'descr':\\s*'([^']+)'").matcher(dict);
    Matcher shape = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+)\\)").matcher(dict);
    assertTrue(descr.find() && shape.find(), "not a 2-D .npy header: " + dict);
    boolean fortran = dict.matches("(?s).*'fortran_order':\\s*True.*");
    int rows = Integer.parseInt(shape.group(1));
    int cols = Integer.parseInt(shape.group(2));
    float[] values = new float[rows * cols];
    for (int e = 0; e < values.length; e++) {
      float v = switch (descr.group(1)) {
        case "<f4" -> buf.getFloat();
        case "<f8" -> (float) buf.getDouble();
        default -> throw new AssertionError("unexpected dtype " + descr.group(1));
      };
      int i = fortran ? e % rows : e / cols;
      int j = fortran ? e / rows : e % cols;
      values[i * cols + j] = v;
    }
    assertEquals(0, buf.remaining(), "bytes after the data of " + file);
    return new Matrix(rows, cols, values);
  }

  /** C = A·B within what float32 arithmetic can err, against a float64 reference. */
  static void assertProduct(Matrix a, Matrix b, Matrix c) {
    assertEquals(a.rows(), c.rows(), "rows of C");
    assertEquals(b.cols(), c.cols(), "cols of C");
    double eps = Math.ulp(1.0f) / 2;
    for (int i = 0; i < a.rows(); i++) {
      for (int j = 0; j < b.cols(); j++) {
        double sum = 0;
        double abs = 0;
        for (int k = 0; k < a.cols(); k++) {
          sum += a.at(i, k) * b.at(k, j);
          abs += Math.abs(a.at(i, k) * b.at(k, j));
        }
        double bound = 2 * a.cols() * eps * abs + 1e-6;
        assertTrue(Math.abs(c.at(i, j) - sum) <= bound,
            "C[" + i + "," + j + "] = " + c.at(i, j) + ", expected " + sum + " ± " + bound);
      }
    }
  }

  // ------------------------------------------------------------------ tests

  @Test
  void submitUploadsFollowsAndWritesCWithoutBarsWhenNotATerminal() throws IOException {
    Matrix a = random(96, 64, 1);
    Matrix b = random(64, 80, 2);
    Path fileA = dir.resolve("A.npy");
    Path fileB = dir.resolve("B.npy");
    Path fileC = dir.resolve("C.npy");
    writeNpy(fileA, a);
    writeNpy(fileB, b);

    Run run = admin("submit", fileA.toString(), fileB.toString(), "-o", fileC.toString(), "--chunk-rows", "16");
    assertEquals(0, run.code(), run.toString());
    assertTrue(Files.isRegularFile(fileC), "C.npy written: " + run);
    assertProduct(a, b, readNpy(fileC));
    assertNoBars(run);
    assertTrue(run.out().contains("completed"), run.toString());
    assertTrue(run.out().contains("6/6 chunks"), "96 rows in chunks of 16: " + run);
    assertTrue(run.out().contains("96x80"), run.toString());
    try (var files = Files.list(dir)) {
      assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".part")).toList(), "no partial files left");
    }

    // --json: the final job view on stdout, nothing else
    Path fileC2 = dir.resolve("C2.npy");
    Run json = admin("submit", fileA.toString(), fileB.toString(), "-o", fileC2.toString(), "--verify", "full", "--json");
    assertEquals(0, json.code(), json.toString());
    assertNoBars(json);
    JsonObject view = new JsonObject(json.out());
    assertEquals("completed", view.getString("status"), json.toString());
    assertEquals(view.getInteger("chunksTotal"), view.getInteger("chunksDone"), json.toString());
    assertTrue(view.getJsonObject("verification").getBoolean("passed"), json.toString());
    assertEquals("full", view.getJsonObject("verification").getString("method"), json.toString());
    assertArrayEquals(Files.readAllBytes(fileC), Files.readAllBytes(fileC2), "same inputs, same C");
    String id = view.getString("id");

    // status, result, jobs on that job
    Run status = admin("status", id);
    assertEquals(0, status.code(), status.toString());
    assertTrue(status.out().startsWith("job " + id + ": completed"), status.toString());
    Run statusJson = admin("status", id, "--json");
    assertEquals(id, new JsonObject(statusJson.out()).getString("id"), statusJson.toString());

    Path again = dir.resolve("again.npy");
    Run result = admin("result", id, "-o", again.toString());
    assertEquals(0, result.code(), result.toString());
    assertNoBars(result);
    assertProduct(a, b, readNpy(again));

    Run jobs = admin("jobs", "--limit", "5");
    assertEquals(0, jobs.code(), jobs.toString());
    assertTrue(jobs.out().contains(id), jobs.toString());
    Run jobsJson = admin("jobs", "--json");
    assertTrue(new JsonObject(jobsJson.out()).getJsonArray("jobs").encode().contains(id), jobsJson.toString());
  }

  @Test
  void submitTakesWhatNumpyWrites() throws Exception {
    String python = pythonWithNumpyAndRequests();
    assumeTrue(python != null, "no Python with numpy (/usr/bin/python3 or python3)");
    Path fileA = dir.resolve("A.npy");
    Path fileB = dir.resolve("B.npy");
    Path fileC = dir.resolve("C.npy");
    // A float32 C order, B float64 Fortran order, as NumPy users have them
    Process p = new ProcessBuilder(python, "-c", String.join("\n",
        "import numpy as np, sys",
        "rng = np.random.default_rng(3)",
        "np.save(sys.argv[1], rng.standard_normal((70, 33), dtype=np.float32))",
        "np.save(sys.argv[2], np.asfortranarray(rng.standard_normal((33, 45))))"), fileA.toString(), fileB.toString())
        .redirectErrorStream(true).start();
    String made = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, made);

    Run run = admin("submit", fileA.toString(), fileB.toString(), "-o", fileC.toString());
    assertEquals(0, run.code(), run.toString());
    assertNoBars(run);
    assertProduct(readNpy(fileA), readNpy(fileB), readNpy(fileC));
  }

  @Test
  void failuresExitNonZeroWithTheServersReason() throws IOException {
    Run unknown = admin("status", "nosuch");
    assertEquals(1, unknown.code(), unknown.toString());
    assertTrue(unknown.err().contains("404"), unknown.toString());
    assertTrue(unknown.err().contains("no job with id nosuch"), "the server's message: " + unknown);
    assertEquals("", unknown.out(), unknown.toString());

    Run wrongToken = as("brain_not-a-real-token-000000000000000000000", "jobs");
    assertEquals(1, wrongToken.code(), wrongToken.toString());
    assertTrue(wrongToken.err().contains("401"), wrongToken.toString());

    Run noToken = cli("jobs", "--server", grid.baseUrl(), "--token", "");
    assertEquals(1, noToken.code(), noToken.toString());
    assertTrue(noToken.err().contains("401"), noToken.toString());

    Run unreachable = cli("status", "x", "--server", "http://127.0.0.1:1", "--token", "t");
    assertEquals(1, unreachable.code(), unreachable.toString());
    assertTrue(unreachable.err().contains("cannot reach the server at http://127.0.0.1:1"), unreachable.toString());

    // usage errors: 2
    Path fileA = dir.resolve("A.npy");
    writeNpy(fileA, random(8, 6, 3));
    Run noOutput = admin("submit", fileA.toString(), fileA.toString());
    assertEquals(2, noOutput.code(), noOutput.toString());
    assertTrue(noOutput.err().contains("--output"), noOutput.toString());
    Run missing = admin("submit", fileA.toString(), dir.resolve("nope.npy").toString(), "-o", dir.resolve("c.npy").toString());
    assertEquals(2, missing.code(), missing.toString());
    assertTrue(missing.err().contains("nope.npy"), missing.toString());
    Run badVerify = admin("submit", fileA.toString(), fileA.toString(), "-o", "c.npy", "--verify", "sometimes");
    assertEquals(2, badVerify.code(), badVerify.toString());

    // the server refuses: 8x6 · 8x6 does not chain (422 naming both shapes); no C is written
    Path fileC = dir.resolve("C.npy");
    Run mismatch = admin("submit", fileA.toString(), fileA.toString(), "-o", fileC.toString());
    assertEquals(1, mismatch.code(), mismatch.toString());
    assertTrue(mismatch.err().contains("422"), mismatch.toString());
    assertTrue(mismatch.err().contains("8") && mismatch.err().contains("6"), "names the shapes: " + mismatch);
    assertFalse(Files.exists(fileC), mismatch.toString());
  }

  @Test
  void cancelAndTheResultOfACancelledJob() throws Exception {
    try (TestGrid idle = TestGrid.start()) { // no workers: jobs stay queued
      String id = idle.submit("{\"rowsA\":40,\"colsA\":30,\"colsB\":20}");
      Run early = cli(withServer(idle, idle.adminToken(), "result", id, "-o", dir.resolve("c.npy").toString()));
      assertEquals(1, early.code(), early.toString());
      assertTrue(early.err().contains("409"), "no result before completion: " + early);
      assertFalse(Files.exists(dir.resolve("c.npy")), early.toString());

      Run cancel = cli(withServer(idle, idle.adminToken(), "cancel", id));
      assertEquals(0, cancel.code(), cancel.toString());
      assertTrue(cancel.out().contains("cancelled"), cancel.toString());
      Run status = cli(withServer(idle, idle.adminToken(), "status", id, "--json"));
      assertEquals("cancelled", new JsonObject(status.out()).getString("status"), status.toString());
    }
  }

  @Test
  void submitExitsOneWhenItsJobIsCancelled() throws Exception {
    try (TestGrid idle = TestGrid.start()) {
      Path fileA = dir.resolve("A.npy");
      Path fileB = dir.resolve("B.npy");
      writeNpy(fileA, random(20, 10, 4));
      writeNpy(fileB, random(10, 5, 5));
      Path fileC = dir.resolve("C.npy");
      CompletableFuture<Run> submit = CompletableFuture.supplyAsync(() ->
          cli(withServer(idle, idle.adminToken(), "submit", fileA.toString(), fileB.toString(), "-o", fileC.toString())));
      String id = null;
      for (int i = 0; i < 200 && id == null; i++) {
        var list = new JsonObject(idle.get("/api/jobs").body()).getJsonArray("jobs");
        id = list.isEmpty() ? null : list.getJsonObject(0).getString("id");
        Thread.sleep(50);
      }
      assertNotNull(id, "submit created a job");
      assertEquals(200, idle.delete("/api/jobs/" + id).statusCode());
      Run run = submit.get(60, TimeUnit.SECONDS);
      assertEquals(1, run.code(), run.toString());
      assertTrue(run.err().contains("cancelled"), run.toString());
      assertFalse(Files.exists(fileC), run.toString());
    }
  }

  @Test
  void barsShowUnderAPseudoTerminal() throws Exception {
    Path script = Path.of("/usr/bin/script");
    assumeTrue(Files.isExecutable(script), "util-linux script (a pseudo-terminal) is not installed");
    Matrix a = random(256, 128, 6);
    Matrix b = random(128, 192, 7);
    Path fileA = dir.resolve("A.npy");
    Path fileB = dir.resolve("B.npy");
    Path fileC = dir.resolve("C.npy");
    writeNpy(fileA, a);
    writeNpy(fileB, b);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = List.of(java, "-cp", System.getProperty("java.class.path"), "brain.Main", "submit",
        fileA.toString(), fileB.toString(), "-o", fileC.toString(), "--chunk-rows", "32", "--server", grid.baseUrl());
    String line = String.join(" ", command.stream().map(ClientCommandsTest::quote).toList());
    ProcessBuilder pb = new ProcessBuilder(script.toString(), "-qefc", line, "/dev/null").redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.PIPE);
    pb.environment().put("BRAIN_TOKEN", grid.adminToken());
    pb.environment().put("TERM", "xterm-256color");
    pb.environment().put("LANG", "C.UTF-8");
    pb.environment().put("COLUMNS", "120");
    Process process = pb.start();
    byte[] output = process.getInputStream().readAllBytes();
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the child finished");
    String text = new String(output, StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), text);
    assertProduct(a, b, readNpy(fileC));
    assertTrue(text.contains("%"), "a bar's percentage: " + text);
    assertTrue(text.contains("█"), "a bar's blocks: " + text);
    assertTrue(text.contains("upload A") && text.contains("upload B") && text.contains("download C"), text);
    assertTrue(text.contains("job") && text.contains("8/8"), "the chunks bar, 256 rows in chunks of 32: " + text);
    assertTrue(text.contains("completed"), text);
  }

  private static String quote(String arg) {
    return "'" + arg.replace("'", "'\\''") + "'";
  }

  // ------------------------------------------------------------------ the README's Python

  private static final Path ROUNDTRIP = Path.of("src/test/resources/python/roundtrip.py");

  @Test
  void theReadmeShowsThePythonRoundTripVerbatim() throws IOException {
    String snippet = Files.readString(ROUNDTRIP);
    String readme = Files.readString(Path.of("README.md"));
    assertTrue(readme.contains("```python\n" + snippet + "```\n"),
        "README.md's \"From Python\" block must be " + ROUNDTRIP + " verbatim");
  }

  /** The first of /usr/bin/python3 and python3 that imports numpy and requests, or null. */
  static String pythonWithNumpyAndRequests() {
    for (String python : List.of("/usr/bin/python3", "python3")) {
      try {
        Process p = new ProcessBuilder(python, "-c", "import numpy, requests").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return python;
        }
      } catch (IOException | InterruptedException e) {
        // not this one
      }
    }
    return null;
  }

  @Test
  void thePythonRoundTripRunsAsWritten() throws Exception {
    String python = pythonWithNumpyAndRequests();
    assumeTrue(python != null, "no Python with numpy and requests (/usr/bin/python3 or python3; "
        + "Debian: apt-get install python3-numpy python3-requests)");
    ProcessBuilder pb = new ProcessBuilder(python, ROUNDTRIP.toAbsolutePath().toString()).redirectErrorStream(true);
    pb.environment().putAll(Map.of("BRAIN_SERVER", grid.baseUrl(), "BRAIN_TOKEN", grid.adminToken()));
    Process process = pb.start();
    byte[] output = process.getInputStream().readAllBytes();
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the script finished");
    String text = new String(output, StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), python + " " + ROUNDTRIP + ":\n" + text);
    assertTrue(text.contains("C = A @ B: (500, 400) float32"), text);
  }
}

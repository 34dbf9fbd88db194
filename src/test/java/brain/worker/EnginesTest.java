package brain.worker;

import brain.blas.OpenBlas;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import brain.testing.Reference;
import brain.testing.TestGrid;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The headless worker's engines (issue 12): OpenBLAS and EJML against a float64 reference on odd
 * shapes, the fallback where OpenBLAS cannot load, and a real grid accepting OpenBLAS's results.
 * No timing is asserted.
 */
@Timeout(180)
class EnginesTest {
  /** m×k·k×n: 1×1, 1×k·k×1, 300×1·1×300, and sizes that are multiples of no tile or SIMD width. */
  static Stream<Arguments> shapes() {
    int[][] shapes = {
        {1, 1, 1}, {1, 1000, 1}, {1, 7, 1}, {65, 129, 67}, {300, 1, 300}, {17, 33, 65}, {257, 255, 3},
        {3, 255, 257}, {1, 513, 31}, {31, 5, 1}, {513, 257, 129},
    };
    List<Arguments> out = new ArrayList<>();
    for (int threads : new int[] {1, 2}) {
      for (int[] s : shapes) {
        out.add(Arguments.of(s[0], s[1], s[2], threads));
      }
    }
    return out.stream();
  }

  static float[] random(Random random, int size) {
    float[] out = new float[size];
    for (int i = 0; i < size; i++) {
      out[i] = random.nextFloat() * 2 - 1;
    }
    return out;
  }

  /** Where the bundled natives are (linux-x86_64), OpenBLAS must load; elsewhere its tests are skipped. */
  private static NativeBlasEngine blas(int threads) {
    OpenBlas.Availability available = OpenBlas.availability();
    boolean bundled = System.getProperty("os.name").toLowerCase().contains("linux")
        && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
    if (bundled) {
      assertTrue(available.loaded(), "OpenBLAS loads from the bundled linux-x86_64 natives: " + available.reason());
    }
    assumeTrue(available.loaded(), "OpenBLAS is not bundled for this platform");
    return NativeBlasEngine.create(threads);
  }

  private static void assertMatchesReference(MatrixEngine engine, int m, int k, int n) {
    Random random = new Random(31L * m + 17L * k + n);
    float[] a = random(random, m * k);
    float[] b = random(random, k * n);
    float[] aBefore = a.clone();
    float[] bBefore = b.clone();
    float[] c = engine.multiply(a, m, k, b, n);
    Reference.assertProduct(a, b, c, m, k, n);
    assertArrayEquals(aBefore, a, "A is left as it was");
    assertArrayEquals(bBefore, b, "B is left as it was");
  }

  @ParameterizedTest(name = "OpenBLAS × {3}: {0}×{1}·{1}×{2}")
  @MethodSource("shapes")
  @DisplayName("OpenBLAS matches the float64 reference on odd shapes")
  void openBlasMatchesTheReference(int m, int k, int n, int threads) {
    NativeBlasEngine engine = blas(threads);
    assertEquals(threads, engine.threads());
    assertMatchesReference(engine, m, k, n);
  }

  @ParameterizedTest(name = "EJML × {3}: {0}×{1}·{1}×{2}")
  @MethodSource("shapes")
  @DisplayName("EJML matches the float64 reference on odd shapes")
  void ejmlMatchesTheReference(int m, int k, int n, int threads) {
    assertMatchesReference(Engines.ejml(threads), m, k, n);
  }

  @ParameterizedTest(name = "OpenBLAS × {3}: {0}×{1}·{1}×{2} as it arrives")
  @MethodSource("shapes")
  @DisplayName("OpenBLAS taking A's and B's rows as they arrive gives the product: uneven steps, one input ahead of the other")
  void openBlasAccumulatesAsRowsArrive(int m, int k, int n, int threads) {
    NativeBlasEngine engine = blas(threads);
    Random random = new Random(7L * m + k + 3L * n);
    float[] a = random(random, m * k);
    float[] b = random(random, k * n);
    float[] arrivingA = new float[a.length]; // rows land in these as the takes go
    float[] arrivingB = new float[b.length];
    try (MatrixEngine.Accumulation product = engine.accumulate(arrivingA, m, k, arrivingB, n)) {
      int[] aSteps = {0, 5, 1, 40, 0, 2}; // A sometimes still, B sometimes still, either first
      int[] bSteps = {1, 0, 64, 3, 130, 0};
      int atA = 0;
      int atB = 0;
      for (int i = 0; atA < m || atB < k; i++) {
        int toA = Math.min(m, atA + aSteps[i % aSteps.length]);
        int toB = Math.min(k, atB + bSteps[i % bSteps.length]);
        System.arraycopy(a, atA * k, arrivingA, atA * k, (toA - atA) * k);
        System.arraycopy(b, atB * n, arrivingB, atB * n, (toB - atB) * n);
        product.take(toA, toB);
        atA = toA;
        atB = toB;
      }
      Reference.assertProduct(a, b, product.finish(), m, k, n);
    }
    assertMatchesReference(engine, m, k, n); // a pooled scratch a product left behind still multiplies right
  }

  @Test
  @DisplayName("a product's rows going back, past its inputs, or short of them are refused")
  void accumulationMisuseRefused() {
    NativeBlasEngine engine = blas(1);
    try (MatrixEngine.Accumulation product = engine.accumulate(new float[6], 2, 3, new float[12], 4)) {
      assertThrows(IllegalArgumentException.class, () -> product.take(3, 1), "past A's rows");
      assertThrows(IllegalArgumentException.class, () -> product.take(1, 4), "past B's rows");
      product.take(1, 2);
      assertThrows(IllegalArgumentException.class, () -> product.take(0, 3), "A's rows going back");
      assertThrows(IllegalArgumentException.class, () -> product.take(2, 1), "B's rows going back");
      assertThrows(IllegalStateException.class, product::finish, "taken short of A and B");
      product.take(2, 3);
      assertArrayEquals(new float[8], product.finish(), "zeros times zeros");
    }
    assertNull(engine.accumulate(new float[5], 2, 3, new float[12], 4), "A shorter than its shape: no product begun");
  }

  @Test
  @DisplayName("a slice larger than its arrays is refused, not read past their end")
  void shapesThatDoNotFitAreRefused() {
    NativeBlasEngine engine = blas(1);
    assertThrows(IllegalArgumentException.class, () -> engine.multiply(new float[5], 2, 3, new float[12], 4));
    assertThrows(IllegalArgumentException.class, () -> engine.multiply(new float[6], 2, 3, new float[11], 4));
    assertArrayEquals(new float[0], engine.multiply(new float[0], 0, 3, new float[12], 4));
    assertArrayEquals(new float[8], engine.multiply(new float[0], 2, 0, new float[0], 4), "k = 0: zeros");
  }

  @Test
  @DisplayName("OpenBLAS is right when worker slots call it at once, at different thread counts")
  void openBlasFromConcurrentCallers() throws Exception {
    List<MatrixEngine> engines = List.of(blas(1), blas(2));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        MatrixEngine engine = engines.get(t % 2);
        int seed = t;
        running.add(pool.submit(() -> {
          for (int r = 0; r < 6; r++) {
            int m = 40 + seed * 13 + r;
            assertMatchesReference(engine, m, 211, 97);
          }
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("auto picks OpenBLAS where it loads, and says so")
  void autoPicksOpenBlas() {
    blas(2);
    MatrixEngine engine = Engines.select(Engines.Choice.AUTO, 2);
    assertTrue(engine instanceof NativeBlasEngine, engine.description());
    assertTrue(engine.description().matches("OpenBLAS \\d+\\.\\d+\\.\\d+ × 2 threads"), engine.description());
    assertEquals("OpenBLAS " + OpenBlas.availability().version() + " × 1 thread",
        Engines.select(Engines.Choice.BLAS, 1).description());
    assertEquals("EJML (pure Java) × 1 thread", Engines.select(Engines.Choice.EJML, 1).description());
  }

  @Test
  @DisplayName("where the native library cannot load, auto falls back to EJML and says why")
  void fallbackWhenTheLibraryCannotLoad() {
    OpenBlas.Availability missing = OpenBlas.probe(() -> {
      throw new UnsatisfiedLinkError("no jniopenblas_nolapack in java.library.path: /nowhere");
    });
    assertFalse(missing.loaded());
    assertEquals("UnsatisfiedLinkError: no jniopenblas_nolapack in java.library.path: /nowhere", missing.reason());
    MatrixEngine engine = Engines.auto(2, missing);
    assertFalse(engine instanceof NativeBlasEngine);
    assertEquals("EJML (pure Java) × 2 threads — OpenBLAS could not load: UnsatisfiedLinkError: no "
        + "jniopenblas_nolapack", engine.description(), "the library path is left to the log");
    assertTrue(engine.description().length() <= 120, "fits the registration's adapter field");
    assertMatchesReference(engine, 65, 129, 67);

    OpenBlas.Availability noJavacpp = OpenBlas.probe(() -> {
      throw new NoClassDefFoundError("org/bytedeco/javacpp/Loader");
    });
    assertEquals("NoClassDefFoundError: org/bytedeco/javacpp/Loader", noJavacpp.reason());
    OpenBlas.Availability failedInit = OpenBlas.probe(() -> {
      throw new ExceptionInInitializerError(new IllegalStateException("cache directory not writable"));
    });
    assertFalse(failedInit.loaded());
    assertEquals("IllegalStateException: cache directory not writable", failedInit.reason());
  }

  @Test
  @DisplayName("-Dbrain.noNative keeps OpenBLAS out: auto computes with EJML, blas refuses, both say why")
  void noNativeSwitchForcesTheFallback() {
    String before = System.getProperty("brain.noNative");
    System.setProperty("brain.noNative", "true");
    try {
      OpenBlas.Availability off = OpenBlas.availability();
      assertFalse(off.loaded());
      assertEquals("disabled by -Dbrain.noNative=true", off.reason());
      MatrixEngine engine = Engines.select(Engines.Choice.AUTO, 1);
      assertEquals("EJML (pure Java) × 1 thread — OpenBLAS could not load: disabled by -Dbrain.noNative=true",
          engine.description());
      assertMatchesReference(engine, 17, 33, 65);
      IllegalStateException refused = assertThrows(IllegalStateException.class,
          () -> Engines.select(Engines.Choice.BLAS, 1));
      assertTrue(refused.getMessage().contains("disabled by -Dbrain.noNative=true"), refused.getMessage());
    } finally {
      restore("brain.noNative", before);
    }
  }

  @Test
  @DisplayName("--engine and -Dbrain.engine name the engine")
  void engineChoice() {
    assertEquals(Engines.Choice.BLAS, Engines.Choice.parse("blas"));
    assertEquals(Engines.Choice.BLAS, Engines.Choice.parse("OpenBLAS"));
    assertEquals(Engines.Choice.EJML, Engines.Choice.parse("ejml"));
    assertEquals(Engines.Choice.AUTO, Engines.Choice.parse("auto"));
    assertThrows(IllegalArgumentException.class, () -> Engines.Choice.parse("cuda"));
    String before = System.getProperty("brain.engine");
    try {
      System.setProperty("brain.engine", "ejml");
      assertEquals(Engines.Choice.EJML, Engines.Choice.parse(null));
      assertEquals("EJML (pure Java) × 2 threads", Engines.select(Engines.Choice.parse(null), 2).description());
      System.clearProperty("brain.engine");
      if (System.getenv("BRAIN_ENGINE") == null) {
        assertEquals(Engines.Choice.AUTO, Engines.Choice.parse(""));
      }
    } finally {
      restore("brain.engine", before);
    }
  }

  @Test
  @DisplayName("a JVM without the platform's natives jar really fails to load OpenBLAS and computes with EJML")
  void childJvmWithoutNativesFallsBack(@TempDir Path cache) throws Exception {
    String classpath = Arrays.stream(testClasspath().split(File.pathSeparator))
        .filter(entry -> !entry.matches(".*org[/\\\\]bytedeco[/\\\\].*-linux-x86_64\\.jar"))
        .collect(Collectors.joining(File.pathSeparator));
    assertNotEquals(testClasspath(), classpath, "the natives jars are on the test classpath");
    List<String> lines = runProbe(classpath, cache, "auto");
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("EJML (pure Java) × 2 threads — OpenBLAS could not load: "
        + "UnsatisfiedLinkError")), String.join("\n", lines));
    assertTrue(lines.contains("product ok"), String.join("\n", lines));
  }

  @Test
  @DisplayName("a JVM with the natives jar loads OpenBLAS on its own (fresh JavaCPP cache)")
  void childJvmWithNativesUsesOpenBlas(@TempDir Path cache) throws Exception {
    blas(1);
    List<String> lines = runProbe(testClasspath(), cache, "blas");
    assertTrue(lines.stream().anyMatch(l -> l.matches("OpenBLAS \\d+\\.\\d+\\.\\d+ × 2 threads")),
        String.join("\n", lines));
    assertTrue(lines.contains("product ok"), String.join("\n", lines));
  }

  @Test
  @DisplayName("a grid accepts a headless worker's OpenBLAS results: 200×300·300×150 completes, nothing refused")
  void gridAcceptsOpenBlasResults() {
    NativeBlasEngine engine = blas(2);
    try (TestGrid grid = TestGrid.start(); TestGrid.JobWatch watch = grid.watch()) {
      grid.worker("native", engine);
      String id = grid.submit("{\"rowsA\":200,\"colsA\":300,\"colsB\":150,\"chunkRows\":16}");
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, 200, 300, 150);
      JsonObject view = grid.job(id);
      assertTrue(view.getJsonObject("verification").getBoolean("passed"), view.encodePrettily());

      JsonArray events = new JsonObject(grid.get("/api/jobs/" + id + "/timeline").body()).getJsonArray("events");
      List<JsonObject> list = events.stream().map(JsonObject.class::cast).toList();
      List<JsonObject> refused = list.stream()
          .filter(e -> List.of("rejected", "excluded", "verification-failed").contains(e.getString("type"))).toList();
      assertEquals(List.of(), refused, "no result of OpenBLAS was refused");
      List<JsonObject> doneEvents = list.stream().filter(e -> "done".equals(e.getString("type"))).toList();
      assertEquals(view.getInteger("chunksTotal"), doneEvents.size(), events.encodePrettily());
      assertTrue(doneEvents.stream().allMatch(e -> "native".equals(e.getString("worker"))), events.encodePrettily());
    }
  }

  // ------------------------------------------------------------------ helpers

  private static String testClasspath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
  }

  /** Runs {@link EngineProbe} in a child JVM with {@code classpath} and its own JavaCPP cache; its output lines. */
  private static List<String> runProbe(String classpath, Path cache, String choice) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path out = cache.resolve("probe.out");
    Process child = new ProcessBuilder(java.toString(), "-Xmx256m", "-Dorg.bytedeco.javacpp.cachedir=" + cache,
        "-cp", classpath, EngineProbe.class.getName(), choice)
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertTrue(child.waitFor(90, TimeUnit.SECONDS), "the probe JVM ends");
    List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
    assertEquals(0, child.exitValue(), String.join("\n", lines));
    return lines;
  }

  private static void restore(String property, String value) {
    if (value == null) {
      System.clearProperty(property);
    } else {
      System.setProperty(property, value);
    }
  }
}

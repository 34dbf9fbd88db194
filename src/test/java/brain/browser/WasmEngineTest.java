package brain.browser;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Browser;
import brain.testing.Reference;
import brain.testing.TestGrid;
import brain.testing.Timelines;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.PlaywrightException;
import com.microsoft.playwright.options.WaitForSelectorState;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The worker tab's engines in real headless Chromium: the WebAssembly SIMD kernel on every core,
 * the JavaScript fallback (forced, and with WebAssembly SIMD really missing), WebGPU on
 * SwiftShader — each against a float64 reference on odd shapes, and through real jobs of a grid
 * whose per-chunk and final checks must never refuse them.
 */
@Timeout(240)
class WasmEngineTest {
  /** m, k, n: tiny, vectors, and non-multiples of every tile (4×8 registers, 8-row shares, KC 256, 64 on the GPU). */
  private static final int[][] SHAPES = {
      {1, 1, 1}, {1, 37, 1}, {1, 1000, 1}, {65, 129, 67}, {300, 1, 300}, {7, 3, 5}, {13, 513, 31},
      {129, 257, 9}, {33, 17, 100}, {2, 600, 3},
  };

  private TestGrid grid;

  @BeforeEach
  void start() {
    grid = TestGrid.start();
  }

  @AfterEach
  void stop() {
    grid.close();
  }

  private static Page openWorker(Chromium browser, TestGrid grid, String query) {
    Page page = browser.open(grid.baseUrl() + "/worker.html?" + query);
    page.waitForSelector("body[data-ready=true]", new Page.WaitForSelectorOptions().setTimeout(60_000));
    page.waitForSelector("#connection[data-state=connected]", new Page.WaitForSelectorOptions()
        .setState(WaitForSelectorState.ATTACHED));
    return page;
  }

  private static float[] random(Random random, int count) {
    float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      out[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return out;
  }

  private static List<Double> list(float[] values) {
    List<Double> out = new ArrayList<>(values.length);
    for (float v : values) {
      out.add((double) v);
    }
    return out;
  }

  /** C = A·B on one engine of the tab (window.brainWorker.multiplyForTest). */
  private static float[] multiply(Page tab, String engine, float[] a, float[] b, int m, int k, int n) {
    return multiply(tab, engine, a, b, m, k, n, Map.of());
  }

  private static float[] multiply(Page tab, String engine, float[] a, float[] b, int m, int k, int n,
      Map<String, Object> options) {
    Object result = tab.evaluate("([engine, a, b, m, k, n, options]) => "
        + "window.brainWorker.multiplyForTest(engine, a, b, m, k, n, options)",
        List.of(engine, list(a), list(b), m, k, n, options));
    List<?> values = (List<?>) result;
    float[] c = new float[values.size()];
    for (int i = 0; i < c.length; i++) {
      c[i] = ((Number) values.get(i)).floatValue();
    }
    return c;
  }

  private static void assertEngineOnShapes(Page tab, String engine) {
    assertEngineOnShapes(tab, engine, Map.of());
  }

  private static void assertEngineOnShapes(Page tab, String engine, Map<String, Object> options) {
    Random random = new Random(12 + engine.hashCode());
    for (int[] s : SHAPES) {
      int m = s[0], k = s[1], n = s[2];
      float[] a = random(random, m * k);
      float[] b = random(random, k * n);
      float[] c = multiply(tab, engine, a, b, m, k, n, options);
      try {
        Reference.assertProduct(a, b, c, m, k, n);
      } catch (AssertionError e) {
        throw new AssertionError(engine + options + " on " + m + "×" + k + "·" + k + "×" + n + ": " + e.getMessage(), e);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> engineState(Page tab) {
    return (Map<String, Object>) tab.evaluate("() => window.brainWorker.state.engine");
  }

  /** Runs a job through the grid with this tab as its only worker: completed, right, nothing refused. */
  private void assertJobsRight(Page tab, int m, int k, int n, int chunkRows) {
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":" + m + ",\"colsA\":" + k + ",\"colsB\":" + n + ",\"chunkRows\":" + chunkRows
          + "}");
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      grid.assertJobProduct(id, m, k, n);
      List<JsonObject> events = Timelines.of(grid, id);
      for (String refusal : List.of("rejected", "excluded", "verification-failed", "discarded")) {
        assertEquals(List.of(), Timelines.ofType(events, refusal), refusal + " events" + Timelines.describe(events));
      }
    }
    assertTrue(Integer.parseInt(tab.textContent("#chunks-done").trim()) > 0);
  }

  @Test
  @DisplayName("the WebAssembly SIMD engine runs on every core and matches a float64 reference on odd shapes")
  void wasmEngine() {
    try (Chromium browser = new Chromium(List.of())) {
      Page tab = openWorker(browser, grid, "name=wasm-tab");
      assertEquals("cpu", tab.getAttribute("#engine", "data-engine"), "the protocol's engine stays cpu");
      assertEquals("wasm", tab.getAttribute("#engine", "data-kernel"));
      Map<String, Object> engine = engineState(tab);
      int cores = ((Number) tab.evaluate("() => navigator.hardwareConcurrency")).intValue();
      assertEquals(cores, ((Number) engine.get("threads")).intValue(), "one kernel thread per logical core");
      assertEquals("WebAssembly SIMD × " + cores + " worker" + (cores == 1 ? "" : "s"), engine.get("adapter"));
      assertTrue(tab.textContent("#engine").contains("WebAssembly SIMD"), tab.textContent("#engine"));
      assertTrue(Double.parseDouble(tab.getAttribute("#engine-speed", "data-gflops")) > 0, "speed shown");
      assertTrue(tab.textContent("#engine-speed").contains("GFLOP/s"), tab.textContent("#engine-speed"));

      assertEngineOnShapes(tab, "wasm");
      assertEngineOnShapes(tab, "js");
      assertJobsRight(tab, 150, 67, 93, 16);
      assertJobsRight(tab, 301, 257, 129, 40);
      tab.waitForFunction("() => document.querySelector('#engine-speed').dataset.chunkGflops > 0");
      Browser.screenshot(tab, "worker-tab-wasm");
      assertEquals(List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("?threads=1 caps the kernel threads; the CSP allows WebAssembly and nothing broader")
  void threadsSettingAndCsp() {
    try (Chromium browser = new Chromium(List.of())) {
      Page tab = openWorker(browser, grid, "name=one-thread&threads=1");
      Map<String, Object> engine = engineState(tab);
      assertEquals(1, ((Number) engine.get("threads")).intValue());
      assertEquals("WebAssembly SIMD × 1 worker", engine.get("adapter"));
      assertJobsRight(tab, 40, 33, 21, 8);
      String csp = grid.get("/worker.html").headers().firstValue("content-security-policy").orElseThrow();
      assertTrue(csp.contains("script-src 'self' 'wasm-unsafe-eval';"), csp);
      assertFalse(csp.contains("'unsafe-eval'") || csp.contains("unsafe-inline"), csp);
      assertEquals(List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("?engine=js forces the JavaScript kernel, on every core, and its jobs are right")
  void forcedJavaScript() {
    try (Chromium browser = new Chromium(List.of())) {
      Page tab = openWorker(browser, grid, "name=js-tab&engine=js");
      assertEquals("cpu", tab.getAttribute("#engine", "data-engine"));
      assertEquals("js", tab.getAttribute("#engine", "data-kernel"));
      assertTrue(String.valueOf(engineState(tab).get("adapter")).startsWith("JavaScript × "), engineState(tab).toString());
      assertEngineOnShapes(tab, "js");
      assertJobsRight(tab, 77, 131, 29, 10);
      assertEquals(List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("where WebAssembly SIMD is missing (V8 without SSE4.1) the tab falls back to JavaScript and stays right")
  void withoutWasmSimd() {
    try (Chromium browser = new Chromium(List.of("--js-flags=--no-enable-sse4-1"))) {
      Page tab = openWorker(browser, grid, "name=no-simd&engine=wasm");
      assertEquals(Map.of("simd", false, "relaxed", false),
          tab.evaluate("() => import('/wasm/matmul-kernel.js').then((m) => m.wasmFeatures())"),
          "this Chromium really has no WebAssembly SIMD");
      assertEquals("js", tab.getAttribute("#engine", "data-kernel"));
      assertTrue(tab.textContent("#engine-note").contains("WebAssembly SIMD requested but unavailable"),
          tab.textContent("#engine-note"));
      assertEquals(false, engineState(tab).get("simd"));
      assertEngineOnShapes(tab, "js");
      PlaywrightException refused = assertThrows(PlaywrightException.class,
          () -> multiply(tab, "wasm", new float[] {1}, new float[] {2}, 1, 1, 1));
      assertTrue(refused.getMessage().contains("WebAssembly SIMD"), refused.getMessage());
      assertJobsRight(tab, 77, 131, 29, 10);
      assertEquals(List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("WebGPU on SwiftShader: sized from the adapter's limits, reports them, matches the reference, jobs right")
  void webGpu() {
    try (Chromium browser = new Chromium(List.of("--enable-unsafe-webgpu"))) {
      Page tab = openWorker(browser, grid, "name=gpu-tab&engine=webgpu");
      assertEquals("webgpu", tab.getAttribute("#engine", "data-engine"));
      Map<String, Object> engine = engineState(tab);
      @SuppressWarnings("unchecked")
      Map<String, Object> limits = (Map<String, Object>) engine.get("gpuLimits");
      assertNotNull(limits, engine.toString());
      @SuppressWarnings("unchecked")
      Map<String, Object> adapter = (Map<String, Object>) tab.evaluate("async () => { const a = await navigator.gpu"
          + ".requestAdapter(); const l = a.limits; return {binding: l.maxStorageBufferBindingSize, buffer: l.maxBufferSize,"
          + " storage: l.maxComputeWorkgroupStorageSize, invocations: l.maxComputeInvocationsPerWorkgroup}; }");
      long expected = Math.min(((Number) adapter.get("binding")).longValue(), ((Number) adapter.get("buffer")).longValue());
      assertEquals(expected, ((Number) engine.get("maxBufferBytes")).longValue(),
          "maxBufferBytes = min(maxStorageBufferBindingSize, maxBufferSize) of the adapter");
      int tile = ((Number) limits.get("tile")).intValue();
      int tileK = ((Number) limits.get("tileK")).intValue();
      assertTrue(tile * tile / 16 <= ((Number) adapter.get("invocations")).intValue(), limits.toString());
      assertTrue(2 * tile * tileK * 4 <= ((Number) adapter.get("storage")).intValue(), limits.toString());
      assertEngineOnShapes(tab, "webgpu");
      // An adapter with smaller limits gets smaller tiles (8×8 workgroups of 32×32 tiles, TILE_K 8): still right.
      @SuppressWarnings("unchecked")
      Map<String, Object> small = (Map<String, Object>) tab.evaluate("() => import('/js/worker/gpu-engine.js')"
          + ".then((m) => m.tileConfig({maxComputeInvocationsPerWorkgroup: 64, maxComputeWorkgroupSizeX: 64,"
          + " maxComputeWorkgroupSizeY: 64, maxComputeWorkgroupStorageSize: 2048}))");
      assertEquals(8, ((Number) small.get("wg")).intValue(), small.toString());
      assertEquals(32, ((Number) small.get("tile")).intValue(), small.toString());
      assertEquals(8, ((Number) small.get("tileK")).intValue(), small.toString());
      assertEngineOnShapes(tab, "webgpu", Map.of("gpuLimits", Map.of("maxComputeInvocationsPerWorkgroup", 64,
          "maxComputeWorkgroupStorageSize", 2048)));
      assertJobsRight(tab, 150, 67, 93, 16);
      assertEquals(List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("engine=auto measures both engines and computes with the faster one")
  void autoPicksTheFaster() {
    try (Chromium browser = new Chromium(List.of("--enable-unsafe-webgpu"))) {
      Page tab = openWorker(browser, grid, "name=auto-tab");
      Map<String, Object> engine = engineState(tab);
      @SuppressWarnings("unchecked")
      Map<String, Object> calibration = (Map<String, Object>) engine.get("calibration");
      @SuppressWarnings("unchecked")
      double cpu = ((Number) ((Map<String, Object>) calibration.get("cpu")).get("opsPerMs")).doubleValue();
      @SuppressWarnings("unchecked")
      Map<String, Object> gpu = (Map<String, Object>) calibration.get("webgpu");
      assertNotNull(gpu, "SwiftShader was measured too: " + calibration);
      double gpuOps = gpu.get("opsPerMs") instanceof Number x ? x.doubleValue() : 0;
      String chosen = gpuOps > cpu ? "webgpu" : "cpu";
      assertEquals(chosen, tab.getAttribute("#engine", "data-engine"), calibration.toString());
      assertEquals(chosen, engine.get("engine"));
      assertJobsRight(tab, 60, 40, 30, 10);
      assertEquals(List.of(), browser.problems());
    }
  }

  @Test
  @DisplayName("benchmark(): 1024³ on WebAssembly SIMD is at least 5× today's one-thread JavaScript engine")
  void benchmark() {
    try (Chromium browser = new Chromium(List.of())) {
      Page tab = openWorker(browser, grid, "name=bench-tab");
      @SuppressWarnings("unchecked")
      Map<String, Object> wasm = (Map<String, Object>) tab.evaluate(
          "() => window.brainWorker.benchmark({n: 1024, engine: 'wasm', runs: 5})");
      @SuppressWarnings("unchecked")
      Map<String, Object> js = (Map<String, Object>) tab.evaluate(
          "() => window.brainWorker.benchmark({n: 1024, engine: 'js', threads: 1, runs: 1})");
      double wasmGflops = ((Number) wasm.get("gflops")).doubleValue();
      double jsGflops = ((Number) js.get("gflops")).doubleValue();
      System.out.printf("tab 1024³: %s %.2f GFLOP/s (%s ms), %s %.2f GFLOP/s (%s ms): %.1f×%n", wasm.get("adapter"),
          wasmGflops, wasm.get("runsMs"), js.get("adapter"), jsGflops, js.get("runsMs"), wasmGflops / jsGflops);
      assertEquals(1024, ((Number) wasm.get("n")).intValue());
      assertTrue(wasmGflops >= 5 * jsGflops, wasm + " vs " + js);
      assertEquals(List.of(), browser.problems());
    }
  }

  /**
   * Headless Chromium like {@link Browser}, with extra command-line flags (Browser takes none:
   * a V8 flag is how WebAssembly SIMD can really be taken away).
   */
  static final class Chromium implements AutoCloseable {
    private static final List<String> FLAGS = List.of("--no-sandbox", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-quic", "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
        "--disable-backgrounding-occluded-windows");
    private final Playwright playwright;
    private final com.microsoft.playwright.Browser browser;
    private final List<BrowserContext> contexts = new ArrayList<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();

    Chromium(List<String> extraFlags) {
      Map<String, String> env = new HashMap<>();
      env.put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
      env.put("PLAYWRIGHT_NODEJS_PATH", System.getenv().getOrDefault("PLAYWRIGHT_NODEJS_PATH", "/usr/bin/node"));
      playwright = Playwright.create(new Playwright.CreateOptions().setEnv(env));
      List<String> args = new ArrayList<>(FLAGS);
      args.addAll(extraFlags);
      browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
          .setExecutablePath(Browser.CHROMIUM).setHeadless(true).setArgs(args));
    }

    Page open(String url) {
      BrowserContext context = browser.newContext(new com.microsoft.playwright.Browser.NewContextOptions()
          .setViewportSize(1100, 800));
      contexts.add(context);
      Page page = context.newPage();
      page.onConsoleMessage(message -> {
        if ("error".equals(message.type())) {
          problems.add(url + ": console error: " + message.text());
        }
      });
      page.onPageError(error -> problems.add(url + ": page error: " + error));
      page.navigate(url);
      return page;
    }

    List<String> problems() {
      return List.copyOf(problems);
    }

    @Override
    public void close() {
      contexts.forEach(BrowserContext::close);
      browser.close();
      playwright.close();
    }
  }
}

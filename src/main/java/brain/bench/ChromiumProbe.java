package brain.bench;

import brain.bench.EnginesBench.BrowserMeasurement;
import brain.bench.EnginesBench.NotMeasured;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The worker tab in real headless Chromium, for the table "engines": starts a grid server in this
 * process (the engines table runs before, or without, the bench's own), launches the system
 * Chromium as a child process, speaks the DevTools protocol to it over a Vert.x WebSocket, opens
 * {@code worker.html?engine=cpu} and runs the page's own {@code window.brainWorker.benchmark} on one
 * engine at a time. Opened lazily on the first measurement, so one browser serves several rows; a
 * failure to open is remembered and given to every later row. Every wait is bounded; every failure
 * is a {@link NotMeasured} with a short reason. {@link #close} kills Chromium, deletes its profile
 * and stops the server.
 */
final class ChromiumProbe implements AutoCloseable {
  /** The browser: /usr/bin/chromium, or the system property {@code brain.chromium}. */
  static final Path CHROMIUM = Path.of(System.getProperty("brain.chromium", "/usr/bin/chromium"));

  private static final long LAUNCH_MS = 20_000;
  private static final long COMMAND_MS = 10_000;
  private static final long PAGE_READY_MS = 20_000;
  private static final long POLL_MS = 200;
  /** One benchmark call: a warm-up and 3 timed 1024³ products (JavaScript on one thread: about 4 s each). */
  private static final long BENCHMARK_MS = 180_000;
  private static final Pattern DEVTOOLS = Pattern.compile("DevTools listening on (ws://\\S+)");

  private final int threads;
  private NotMeasured failed;
  private boolean opened;

  private BenchGrid server;
  private Path profile;
  private Process chromium;
  private List<ProcessHandle> chromiumTree = List.of();
  private final Deque<String> stderrTail = new ArrayDeque<>();
  private Vertx vertx;
  private WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
  private String sessionId;
  private String targetId;

  /** {@code threads}: the tab's CPU kernel threads (its {@code ?threads=}). */
  ChromiumProbe(int threads) {
    this.threads = threads;
  }

  /**
   * The tab's {@code engine} ('wasm' or 'js') on n×n·n×n: its GFLOP/s, from the page's own timing.
   * Throws {@link NotMeasured} where the tab ran on another thread count than asked.
   */
  BrowserMeasurement engine(String engine) {
    return (n, t) -> {
      JsonObject result = benchmark(engine, n, t);
      int ran = result.getInteger("threads", -1);
      if (ran != t) {
        throw new NotMeasured("the tab ran " + engine + " on " + ran + " threads, not " + t + " (" + result.encode() + ")");
      }
      Object gflops = result.getValue("gflops");
      if (!(gflops instanceof Number number) || !(number.doubleValue() > 0)) {
        throw new NotMeasured("the page answered no GFLOP/s: " + result.encode());
      }
      return number.doubleValue();
    };
  }

  /** {@code window.brainWorker.benchmark({n, engine, threads})}: {engine, adapter, n, threads, ms, medianMs, runsMs, gflops}. */
  JsonObject benchmark(String engine, int n, int threads) throws NotMeasured {
    open();
    Object value = evaluate("window.brainWorker.benchmark({n: " + n + ", engine: '" + engine + "', threads: " + threads
        + "})", BENCHMARK_MS, "benchmark " + engine);
    if (!(value instanceof JsonObject result)) {
      throw new NotMeasured("benchmark " + engine + " answered " + value);
    }
    return result;
  }

  private void open() throws NotMeasured {
    if (failed != null) {
      throw failed;
    }
    if (opened) {
      return;
    }
    try {
      start();
      opened = true;
    } catch (NotMeasured e) {
      failed = e;
      close();
      throw e;
    } catch (Exception | Error e) {
      failed = new NotMeasured(shortReason(e));
      close();
      throw failed;
    }
  }

  private void start() throws Exception {
    if (!Files.isExecutable(CHROMIUM)) {
      throw new NotMeasured("Chromium is not installed");
    }
    try {
      server = BenchGrid.inProcess(Map.of());
    } catch (Exception | Error e) {
      throw new NotMeasured("the grid server for the page did not start: " + shortReason(e));
    }
    profile = Files.createTempDirectory("brain-chromium");
    // The flags of /work/shared/BROWSER.md, less WebGPU (the CPU engines only), plus no throttling of the tab.
    ProcessBuilder builder = new ProcessBuilder(CHROMIUM.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic", "--disable-renderer-backgrounding",
        "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows",
        "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    try {
      chromium = builder.start();
    } catch (IOException e) {
      throw new NotMeasured("Chromium did not start: " + e.getMessage());
    }
    CompletableFuture<String> devtools = new CompletableFuture<>();
    Thread reader = new Thread(() -> readStderr(devtools), "chromium-stderr");
    reader.setDaemon(true);
    reader.start();
    String browserUrl;
    try {
      browserUrl = devtools.get(LAUNCH_MS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new NotMeasured("Chromium printed no DevTools address within " + LAUNCH_MS / 1000 + " s" + tail());
    } catch (ExecutionException e) {
      throw new NotMeasured("Chromium exited before listening" + tail());
    }
    chromiumTree = chromium.descendants().toList();

    vertx = Vertx.vertx();
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxMessageSize(64 * 1024 * 1024).setMaxFrameSize(64 * 1024 * 1024));
    try {
      socket = client.connect(new WebSocketConnectOptions().setAbsoluteURI(browserUrl).setAllowOriginHeader(false)
          .setTimeout(COMMAND_MS)).await(COMMAND_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new NotMeasured("no DevTools connection to Chromium: " + shortReason(e));
    }
    socket.textMessageHandler(this::onMessage);
    socket.closeHandler(v -> pending.values().forEach(f -> f.completeExceptionally(
        new IllegalStateException("the DevTools connection closed"))));

    String url = server.baseUrl() + "/worker.html?engine=cpu&name=bench-probe&threads=" + threads;
    targetId = command("Target.createTarget", new JsonObject().put("url", url), null).getString("targetId");
    sessionId = command("Target.attachToTarget", new JsonObject().put("targetId", targetId).put("flatten", true), null)
        .getString("sessionId");
    if (targetId == null || sessionId == null) {
      throw new NotMeasured("Chromium gave no target or session for the worker tab");
    }
    // The page gives no event when its engines are up: poll (bounded) for its benchmark hook and the
    // compute worker's first answer (brainWorker.state.engine), so benchmark() finds it started.
    long deadline = System.currentTimeMillis() + PAGE_READY_MS;
    Object last = null;
    while (true) {
      last = evaluate("(() => { const w = window.brainWorker; if (!w || !w.benchmark) return 'no hook';"
          + " return w.state.engine ? 'ready' : 'starting'; })()", COMMAND_MS, "the page's state");
      if ("ready".equals(last)) {
        break;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new NotMeasured("the worker tab was not ready within " + PAGE_READY_MS / 1000 + " s (" + last + ")");
      }
      Thread.sleep(POLL_MS);
    }
  }

  /** Runtime.evaluate in the tab, awaiting a promise: its value (JSON types), or NotMeasured with the page's error. */
  private Object evaluate(String expression, long timeoutMs, String what) throws NotMeasured {
    JsonObject reply = command("Runtime.evaluate", new JsonObject().put("expression", expression)
        .put("awaitPromise", true).put("returnByValue", true), timeoutMs);
    JsonObject exception = reply.getJsonObject("exceptionDetails");
    if (exception != null) {
      JsonObject thrown = exception.getJsonObject("exception", new JsonObject());
      String text = thrown.getString("description", thrown.getValue("value") == null ? exception.getString("text")
          : String.valueOf(thrown.getValue("value")));
      throw new NotMeasured(what + " failed in the page: " + firstLine(text));
    }
    return reply.getJsonObject("result", new JsonObject()).getValue("value");
  }

  private JsonObject command(String method, JsonObject params, Long timeoutMs) throws NotMeasured {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonObject> answer = new CompletableFuture<>();
    pending.put(id, answer);
    JsonObject message = new JsonObject().put("id", id).put("method", method).put("params", params);
    if (sessionId != null) {
      message.put("sessionId", sessionId);
    }
    long limit = timeoutMs == null ? COMMAND_MS : timeoutMs;
    try {
      socket.writeTextMessage(message.encode());
      JsonObject reply = answer.get(limit, TimeUnit.MILLISECONDS);
      JsonObject error = reply.getJsonObject("error");
      if (error != null) {
        throw new NotMeasured(method + ": " + error.getString("message", error.encode()));
      }
      return reply.getJsonObject("result", new JsonObject());
    } catch (TimeoutException e) {
      throw new NotMeasured(method + " had no answer within " + limit / 1000 + " s");
    } catch (ExecutionException e) {
      throw new NotMeasured(method + ": " + shortReason(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NotMeasured("interrupted");
    } finally {
      pending.remove(id);
    }
  }

  private void onMessage(String text) {
    try {
      JsonObject message = new JsonObject(text);
      Integer id = message.getInteger("id");
      if (id != null) {
        CompletableFuture<JsonObject> answer = pending.get(id);
        if (answer != null) {
          answer.complete(message);
        }
      }
    } catch (RuntimeException ignored) {
      // events and anything unparsable: not ours
    }
  }

  /** Reads Chromium's stderr to its end (so the pipe never fills), completing {@code devtools} at its address. */
  private void readStderr(CompletableFuture<String> devtools) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(chromium.getErrorStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        Matcher m = DEVTOOLS.matcher(line);
        if (m.find()) {
          devtools.complete(m.group(1));
        } else if (!devtools.isDone()) {
          synchronized (stderrTail) {
            stderrTail.addLast(line);
            if (stderrTail.size() > 3) {
              stderrTail.removeFirst();
            }
          }
        }
      }
    } catch (IOException ignored) {
      // the process was killed
    }
    devtools.completeExceptionally(new IllegalStateException("stderr closed"));
  }

  private String tail() {
    synchronized (stderrTail) {
      return stderrTail.isEmpty() ? "" : " (stderr: " + String.join(" / ", stderrTail) + ")";
    }
  }

  @Override
  public void close() {
    if (socket != null && targetId != null) {
      // The tab first, so its page leaves the grid cleanly (pagehide) before Chromium is killed.
      sessionId = null;
      try {
        command("Target.closeTarget", new JsonObject().put("targetId", targetId), 2_000L);
        Thread.sleep(200);
      } catch (NotMeasured ignored) {
        // killed below anyway
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      targetId = null;
    }
    if (socket != null) {
      try {
        socket.close().await(2, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // Chromium is killed below anyway
      }
      socket = null;
    }
    if (vertx != null) {
      try {
        vertx.close().await(5, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // nothing left to do
      }
      vertx = null;
    }
    if (chromium != null) {
      List<ProcessHandle> tree = Stream.concat(chromiumTree.stream(), chromium.descendants()).distinct().toList();
      chromium.destroy();
      tree.forEach(ProcessHandle::destroy);
      try {
        if (!chromium.waitFor(5, TimeUnit.SECONDS)) {
          chromium.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        chromium.destroyForcibly();
        Thread.currentThread().interrupt();
      }
      tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
      chromium = null;
    }
    if (profile != null) {
      deleteTree(profile);
      profile = null;
    }
    if (server != null) {
      try {
        server.close();
      } catch (RuntimeException ignored) {
        // it was only serving the page
      }
      server = null;
    }
  }

  private static void deleteTree(Path dir) {
    for (int attempt = 0; attempt < 3 && Files.exists(dir); attempt++) {
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> {
          try {
            Files.deleteIfExists(p);
          } catch (IOException ignored) {
            // retried below (a child process may still have been writing)
          }
        });
      } catch (IOException | RuntimeException ignored) {
        // retried
      }
      if (Files.exists(dir)) {
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private static String shortReason(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause && (cause.getMessage() == null
        || cause instanceof ExecutionException)) {
      cause = cause.getCause();
    }
    return firstLine(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
  }

  private static String firstLine(String text) {
    if (text == null) {
      return "(no message)";
    }
    String line = text.strip().lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }
}

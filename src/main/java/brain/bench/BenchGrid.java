package brain.bench;

import brain.BrainServer;
import brain.auth.Tokens;
import brain.bus.Addresses;
import brain.config.BrainConfig;
import brain.worker.BridgeClient;
import brain.worker.HeadlessWorker;
import brain.worker.MatrixEngine;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The grid under test: a server started in this process (its event bus reachable, for
 * probes), or a remote one. Workers and the job feed always go through the real bridge.
 */
final class BenchGrid implements AutoCloseable {
  private final Vertx serverVertx;
  private final BrainServer server;
  private final Vertx clients = Vertx.vertx();
  private final WebSocketClient sockets = clients.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(100_000)
      .setMaxMessageSize(64 * 1024 * 1024).setMaxFrameSize(64 * 1024 * 1024));
  private final String host;
  private final int port;
  private final boolean tls;
  /** The API token requests carry (and the job feed's socket, signed in with it), or null. */
  private final String token;
  private final HttpClient http = HttpClient.newHttpClient();
  private final Map<String, Promise<JsonObject>> finals = new ConcurrentHashMap<>();
  private final List<HeadlessWorker> workers = new ArrayList<>();
  private final BridgeClient feed;

  private BenchGrid(Vertx serverVertx, BrainServer server, String host, int port, boolean tls, String token) {
    this.token = token;
    this.serverVertx = serverVertx;
    this.server = server;
    this.host = host;
    this.port = port;
    this.tls = tls;
    this.feed = await(onClients(() -> BridgeClient.connect(clients, sockets, host, port, tls, token)));
    feed.register(Addresses.UI_JOBS, view -> {
      String status = view.getString("status");
      if (status.equals("completed") || status.equals("failed") || status.equals("cancelled")) {
        finals.computeIfAbsent(view.getString("id"), k -> Promise.promise()).tryComplete(view);
      }
    });
  }

  /** A server in this process with a temporary database and {@code overrides} on the defaults. */
  static BenchGrid inProcess(Map<String, Object> overrides) throws Exception {
    Path dir = Files.createTempDirectory("brain-bench");
    String token = Tokens.newToken();
    BrainConfig config = new BrainConfig(BrainConfig.defaults())
        .with("http.port", 0).with("http.host", "127.0.0.1").with("auth.adminToken", token)
        .with("db.url", "jdbc:sqlite:" + dir.resolve("bench.db"))
        // Up to thousands of workers from 127.0.0.1, answering as fast as chunks come: the
        // per-address and per-socket budgets meant for the open internet would cut them off.
        .with("bridge.maxSocketsPerAddress", 1_000_000)
        .with("bridge.maxMessagesPerSecond", 1_000_000).with("bridge.messageBurst", 1_000_000)
        .with("bridge.maxBytesPerSecond", 1L << 40).with("bridge.byteBurst", 1L << 40);
    for (Map.Entry<String, Object> e : overrides.entrySet()) {
      config = config.with(e.getKey(), e.getValue());
    }
    Vertx vertx = Vertx.vertx();
    BrainServer server = await(BrainServer.start(vertx, config));
    return new BenchGrid(vertx, server, "127.0.0.1", server.port(), false, token);
  }

  static BenchGrid remote(URI url, String token) {
    boolean tls = "https".equalsIgnoreCase(url.getScheme());
    return new BenchGrid(null, null, url.getHost(), url.getPort() > 0 ? url.getPort() : tls ? 443 : 80, tls,
        token == null || token.isBlank() ? null : token.trim());
  }

  /** A request to the API, with the token when there is one. */
  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl() + path));
    return token == null ? builder : builder.header("authorization", "Bearer " + token);
  }

  boolean inProcess() {
    return serverVertx != null;
  }

  Vertx serverVertx() {
    return serverVertx;
  }

  int port() {
    return port;
  }

  String baseUrl() {
    return (tls ? "https://" : "http://") + host + ":" + port;
  }

  /** Starts {@code n} workers (in parallel) and waits until all are registered. */
  List<HeadlessWorker> workers(int n, String prefix, MatrixEngine engine, int slots) {
    List<Future<HeadlessWorker>> starting = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      starting.add(HeadlessWorker.deploy(clients, sockets, new HeadlessWorker.Options(host, port, tls,
          prefix + "-" + i + "-" + Long.toHexString(System.nanoTime()), prefix + "-" + i, slots, engine, false)));
    }
    List<HeadlessWorker> started = new ArrayList<>();
    for (Future<HeadlessWorker> f : starting) {
      started.add(await(f));
    }
    workers.addAll(started);
    return started;
  }

  /** Closes every worker's socket and waits for the server to have forgotten them. */
  void stopWorkers() {
    List<Future<Void>> stopping = workers.stream().map(HeadlessWorker::stop).toList();
    stopping.forEach(f -> await(f.otherwiseEmpty()));
    workers.clear();
    awaitWorkerCount(0);
  }

  /** Waits (bounded) until the pool has exactly {@code n} live workers. */
  void awaitWorkerCount(int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      JsonObject pool = new JsonObject(get("/api/health"));
      if (pool.getInteger("activeWorkers") == n) {
        return;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    throw new IllegalStateException("the pool did not reach " + n + " workers");
  }

  String submit(JsonObject spec) {
    try {
      HttpResponse<String> response = http.send(request("/api/jobs")
          .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(spec.encode())).build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 202) {
        throw new IllegalStateException("submission refused: " + response.body());
      }
      String id = new JsonObject(response.body()).getString("id");
      finals.computeIfAbsent(id, k -> Promise.promise());
      return id;
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The job's final view, from the live feed. */
  JsonObject finished(String id) {
    return await(finals.computeIfAbsent(id, k -> Promise.promise()).future());
  }

  void cancel(String id) {
    try {
      http.send(request("/api/jobs/" + id).DELETE().build(),
          HttpResponse.BodyHandlers.discarding());
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  String get(String path) {
    try {
      return http.send(request(path).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  Vertx clients() {
    return clients;
  }

  WebSocketClient sockets() {
    return sockets;
  }

  <T> Future<T> onClients(java.util.function.Supplier<Future<T>> action) {
    Promise<T> promise = Promise.promise();
    clients.getOrCreateContext().runOnContext(v -> action.get().onComplete(promise));
    return promise.future();
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    await(clients.close().otherwiseEmpty());
    if (server != null) {
      await(server.stop().eventually(serverVertx::close).otherwiseEmpty());
    }
  }
}

package brain.testing;

import brain.BrainServer;
import brain.bus.Addresses;
import brain.config.BrainConfig;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import brain.worker.MatrixEngine;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real server on a free port with its own SQLite file, plus what tests need around it: an
 * HTTP client, headless workers over real sockets, and a way to wait for a job's status by
 * listening to the job feed (no polling sleeps).
 */
public final class TestGrid implements AutoCloseable {
  public static final Duration WAIT = Duration.ofSeconds(60);
  /** The admin token of every test grid (config auth.adminToken, as BRAIN_ADMIN_TOKEN sets it). */
  public static final String ADMIN_TOKEN = "brain_test-admin-token-0123456789";

  private final Vertx vertx;
  private final BrainServer server;
  private final Path dir;
  private final String dbUrl;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final WebSocketClient sockets;
  private final List<HeadlessWorker> workers = new ArrayList<>();
  private ApiClient admin;

  private TestGrid(Vertx vertx, BrainServer server, Path dir, String dbUrl) {
    this.vertx = vertx;
    this.server = server;
    this.dir = dir;
    this.dbUrl = dbUrl;
    this.sockets = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(100_000).setMaxMessageSize(64 * 1024 * 1024)
        .setMaxFrameSize(1024 * 1024));
  }

  public static TestGrid start() {
    return start(Map.of());
  }

  /** Starts a grid whose configuration has {@code overrides} (dotted paths) applied. */
  public static TestGrid start(Map<String, Object> overrides) {
    try {
      Path dir = Files.createTempDirectory("brain-test");
      return start(dir, overrides);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Starts a grid on an existing folder's database (restart tests). */
  public static TestGrid start(Path dir, Map<String, Object> overrides) {
    BrainConfig config = new BrainConfig(BrainConfig.defaults())
        .with("http.port", 0)
        .with("http.host", "127.0.0.1")
        .with("db.url", "jdbc:sqlite:" + dir.resolve("brain.db"))
        .with("storage.dir", dir.resolve("matrices").toString())
        .with("auth.adminToken", ADMIN_TOKEN)
        // Tests' matrices are small stand-ins for the jobs the data plane carries: every job goes
        // over it unless a test asks for the inline path (scheduler.inlineMaxBytes).
        .with("scheduler.inlineMaxBytes", 0);
    for (Map.Entry<String, Object> e : overrides.entrySet()) {
      config = config.with(e.getKey(), e.getValue());
    }
    Vertx vertx = brain.metrics.NodeMetrics.vertx();
    BrainServer server = await(BrainServer.start(vertx, config));
    return new TestGrid(vertx, server, dir, config.json().getJsonObject("db").getString("url"));
  }

  public static <T> T await(Future<T> future) {
    try {
      return future.await(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("waited " + WAIT + " in vain: " + e, e);
    }
  }

  /** Like {@link #await} but rethrows the future's own failure (to assert on it). */
  public static <T> T awaitOrThrow(Future<T> future) throws Throwable {
    try {
      return future.toCompletionStage().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause();
    }
  }

  public int port() {
    return server.port();
  }

  /** The server, e.g. for the dashboard line it printed at this start. */
  public BrainServer server() {
    return server;
  }

  public Vertx vertx() {
    return vertx;
  }

  public Path dir() {
    return dir;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  // ------------------------------------------------------------------ HTTP

  /** Requests as the admin (the grid's own helpers below), as another token, or with none ({@code as(null)}). */
  public ApiClient as(String token) {
    return new ApiClient(http, baseUrl(), token);
  }

  /** Requests without any token. */
  public ApiClient anonymous() {
    return as(null);
  }

  /** The grid's admin token ({@link #ADMIN_TOKEN}). */
  public String adminToken() {
    return ADMIN_TOKEN;
  }

  /** Creates a token through the API (as the admin) and answers it. */
  public String createToken(String name, String role) {
    return createToken(name, role, null);
  }

  public String createToken(String name, String role, JsonObject quotas) {
    JsonObject body = new JsonObject().put("name", name).put("role", role);
    if (quotas != null) {
      body.put("quotas", quotas);
    }
    HttpResponse<String> created = post("/api/tokens", body.encode());
    if (created.statusCode() != 201) {
      throw new AssertionError("expected 201, got " + created.statusCode() + ": " + created.body());
    }
    return new JsonObject(created.body()).getString("token");
  }

  private ApiClient admin() {
    if (admin == null) {
      admin = as(ADMIN_TOKEN);
    }
    return admin;
  }

  public HttpResponse<String> get(String path) {
    return admin().get(path);
  }

  public HttpResponse<byte[]> getBytes(String path) {
    return admin().getBytes(path);
  }

  /** Asserts that job {@code id}'s result, read back over HTTP, is the product of its inputs. */
  public void assertJobProduct(String id, int m, int k, int n) {
    Reference.assertJobProduct(path -> getBytes(path).body(), id, m, k, n);
  }

  public HttpResponse<String> post(String path, String json) {
    return admin().post(path, json);
  }

  public HttpResponse<String> delete(String path) {
    return admin().delete(path);
  }

  /** Sends {@code request} with the admin token unless it carries an Authorization header of its own. */
  public HttpResponse<String> send(HttpRequest request) {
    return admin().send(request);
  }

  /** Submits a job and answers its id; fails unless the server answers 202. */
  public String submit(String json) {
    return admin().submit(json);
  }

  public JsonObject job(String id) {
    return admin().job(id);
  }

  /** Listens to the job feed from now on; complete the returned wait before submitting to avoid races. */
  public JobWatch watch() {
    return new JobWatch(vertx);
  }

  /** Waits for one job to reach a final status, event-driven. */
  public static final class JobWatch implements AutoCloseable {
    private final MessageConsumer<JsonObject> consumer;
    private final Map<String, Promise<JsonObject>> finals = new java.util.concurrent.ConcurrentHashMap<>();

    JobWatch(Vertx vertx) {
      consumer = vertx.eventBus().consumer(Addresses.UI_JOBS, m -> {
        String status = m.body().getString("status");
        if (status.equals("completed") || status.equals("failed") || status.equals("cancelled")) {
          promise(m.body().getString("id")).tryComplete(m.body());
        }
      });
      await(consumer.completion());
    }

    private Promise<JsonObject> promise(String id) {
      return finals.computeIfAbsent(id, k -> Promise.promise());
    }

    /** The final view of the job, once it has one. */
    public JsonObject finished(String id) {
      return await(promise(id).future());
    }

    /** The final view of the job, waiting at most {@code within} for it. */
    public JsonObject finished(String id, Duration within) {
      try {
        return promise(id).future().await(within.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw new AssertionError("job " + id + " did not finish within " + within + ": " + e, e);
      }
    }

    @Override
    public void close() {
      consumer.unregister();
    }
  }

  /** Collects timeline events as the scheduler publishes them. */
  public TimelineWatch timelineWatch() {
    return new TimelineWatch(vertx);
  }

  /** Waits for timeline events matching a condition, event-driven. */
  public static final class TimelineWatch implements AutoCloseable {
    private final MessageConsumer<JsonObject> consumer;
    private final List<JsonObject> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Map.Entry<java.util.function.Predicate<List<JsonObject>>, Promise<Void>>> waits =
        new java.util.concurrent.CopyOnWriteArrayList<>();

    TimelineWatch(Vertx vertx) {
      consumer = vertx.eventBus().consumer(Addresses.UI_TIMELINE, m -> {
        m.body().getJsonArray("events").forEach(e -> events.add((JsonObject) e));
        check();
      });
      await(consumer.completion());
    }

    private synchronized void check() {
      for (Map.Entry<java.util.function.Predicate<List<JsonObject>>, Promise<Void>> wait : waits) {
        if (wait.getKey().test(events)) {
          wait.getValue().tryComplete();
        }
      }
    }

    /** Waits until at least {@code count} events of {@code type} for {@code jobId} were published. */
    public List<JsonObject> awaitCount(String jobId, String type, int count) {
      Promise<Void> promise = Promise.promise();
      synchronized (this) {
        waits.add(Map.entry(list -> list.stream().filter(e -> jobId.equals(e.getString("jobId"))
            && type.equals(e.getString("type"))).count() >= count, promise));
      }
      check();
      await(promise.future());
      return List.copyOf(events);
    }

    @Override
    public void close() {
      consumer.unregister();
    }
  }

  // ------------------------------------------------------------------ workers

  public HeadlessWorker worker(String name) {
    return worker(HeadlessWorker.Options.of("127.0.0.1", port(), name, Engines.cpu(1)));
  }

  public HeadlessWorker worker(String name, MatrixEngine engine) {
    return worker(HeadlessWorker.Options.of("127.0.0.1", port(), name, engine));
  }

  public HeadlessWorker worker(HeadlessWorker.Options options) {
    HeadlessWorker worker = await(HeadlessWorker.deploy(vertx, sockets, options));
    workers.add(worker);
    return worker;
  }

  // ------------------------------------------------------------------ database

  /** A plain JDBC connection to the grid's database (its SQLite file, or db.url's PostgreSQL), as a person inspecting it would open. */
  public Connection database() throws SQLException {
    return DriverManager.getConnection(dbUrl);
  }

  /** {@code SELECT COUNT(*) ...} with its parameters, read over {@link #database()}. */
  public int count(String sql, String... params) throws SQLException {
    try (Connection db = database(); java.sql.PreparedStatement query = db.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        query.setString(i + 1, params[i]);
      }
      try (java.sql.ResultSet rows = query.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    }
  }

  public void stopServer() {
    workers.clear();
    await(server.stop().eventually(() -> vertx.close()));
  }

  @Override
  public void close() {
    try {
      stopServer();
    } catch (RuntimeException | AssertionError e) {
      // already stopped
    }
  }
}

package brain.worker;

import static brain.bus.Addresses.*;

import brain.model.Float32Codec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A worker without a browser: joins a grid over the same SockJS bridge and protocol as the
 * worker tab (docs/PROTOCOL.md), computes chunks with a {@link MatrixEngine}, one at a time,
 * and keeps up to its slots queued. Many can run in one JVM on one Vertx. All state is
 * confined to the event loop of the context that started it; the engine runs on worker
 * threads unless it is instant.
 */
public final class HeadlessWorker {
  private static final System.Logger LOG = System.getLogger(HeadlessWorker.class.getName());

  /** How to join. */
  /**
   * {@code key}: the worker key of a private grid, or null; {@code token}: a requestor's or
   * admin's token, which also admits a worker to a private grid, or null; {@code memoryBytes}: the
   * budget it declares for one chunk's inputs and output ({@code memoryBytes} at registration), 0
   * for none.
   */
  public record Options(String host, int port, boolean tls, String workerId, String name, int slots,
      MatrixEngine engine, boolean reconnect, String key, String token, long memoryBytes) {
    public Options(String host, int port, boolean tls, String workerId, String name, int slots, MatrixEngine engine,
        boolean reconnect) {
      this(host, port, tls, workerId, name, slots, engine, reconnect, null, null);
    }

    public Options(String host, int port, boolean tls, String workerId, String name, int slots, MatrixEngine engine,
        boolean reconnect, String key, String token) {
      this(host, port, tls, workerId, name, slots, engine, reconnect, key, token, 0);
    }

    /** Declares a memory budget for one chunk (its A panel, B panel and C block). */
    public Options withMemory(long bytes) {
      return new Options(host, port, tls, workerId, name, slots, engine, reconnect, key, token, bytes);
    }

    public static Options of(String host, int port, String name, MatrixEngine engine) {
      return new Options(host, port, false, "w-" + UUID.randomUUID(), name, 2, engine, false);
    }

    public Options withSlots(int n) {
      return new Options(host, port, tls, workerId, name, n, engine, reconnect, key, token, memoryBytes);
    }

    public Options withReconnect(boolean on) {
      return new Options(host, port, tls, workerId, name, slots, engine, on, key, token, memoryBytes);
    }

    public Options withWorkerId(String id) {
      return new Options(host, port, tls, id, name, slots, engine, reconnect, key, token, memoryBytes);
    }

    public Options withKey(String workerKey) {
      return new Options(host, port, tls, workerId, name, slots, engine, reconnect, workerKey, token, memoryBytes);
    }

    public Options withToken(String requestorToken) {
      return new Options(host, port, tls, workerId, name, slots, engine, reconnect, key, requestorToken, memoryBytes);
    }
  }

  /** A chunk received and not yet answered. */
  /**
   * {@code a}: A's rows in base64 (protocol 1), or null; {@code aValues}, {@code bValues}: the
   * inputs fetched over HTTP and {@code upload} the result's URL (protocol 2), or null;
   * {@code colsB}: the chunk's columns (a 2-D block's width), {@code colStart}: its first column in C.
   */
  public record Chunk(String assignmentId, String jobId, int chunkIndex, int rowStart, int rows, int colsA, int colsB,
      String a, long receivedNanos, float[] aValues, float[] bValues, String upload, int colStart) {
    float[] aRows() {
      return aValues != null ? aValues : Float32Codec.fromBase64(a, rows * colsA);
    }
  }

  /** The worker protocol this worker speaks (docs/PROTOCOL.md). */
  static final int PROTOCOL = 2;
  /** Bytes of fetched inputs a worker keeps (LRU). */
  static final long CACHE_BYTES = 128L << 20;
  /** The most item ids a registration lists as held. */
  private static final int MAX_HOLDS = 256;

  /** What to do with a chunk instead of answering it right (fault injection for tests). */
  public interface Behaviour {
    /** Return true to handle the chunk yourself (the worker then does nothing with it). */
    boolean intercept(HeadlessWorker worker, Chunk chunk);
  }

  private final Vertx vertx;
  private final Context context;
  private final WebSocketClient sockets;
  private final Options options;
  private final Map<String, float[]> bByJob = new HashMap<>();
  private final Map<String, Integer> bRowsReceived = new HashMap<>();
  /** Per job, the first column of the B panel held (0: all of B, or the first panel). */
  private final Map<String, Integer> bColStart = new HashMap<>();
  /** The most bytes one chunk has needed here: its A, the B it was computed with, its C. */
  private volatile long largestChunkBytes;
  /** float32 values of A, B and C this worker has received and sent (payload, not its encoding). */
  private volatile long payloadValues;
  private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
  private final Set<String> cancelled = new HashSet<>();
  /** Fetched items; never more than the memory budget it declares (what it holds counts against it). */
  private final DataCache cache;
  /** Fetches in progress by item id: two chunks naming one B share one GET. */
  private final Map<String, Future<float[]>> fetching = new HashMap<>();
  private final io.vertx.core.http.HttpClient http;
  private long httpBytesIn;
  private long httpBytesOut;
  private BridgeClient client;
  private String sessionId;
  private String address;
  private long heartbeatTimer = -1;
  private boolean computing;
  private boolean stopped;
  private boolean frozen;
  private Behaviour behaviour = (worker, chunk) -> false;
  private long backoffMs = 500;
  private volatile long chunksDone;
  private volatile boolean connected;
  private long sessions;
  private JsonObject lastStats = new JsonObject();
  /** Tests and tools waiting for a message from the server. */
  private final java.util.List<java.util.Map.Entry<java.util.function.Predicate<JsonObject>, Promise<JsonObject>>>
      waiters = new java.util.ArrayList<>();
  private Promise<Void> firstJoin = Promise.promise();
  private final NodeTargets targets;
  /** A stopping node asked us to move: reconnect at once, to the node it named. */
  private boolean moving;

  private HeadlessWorker(Vertx vertx, WebSocketClient sockets, Options options) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.sockets = sockets;
    this.options = options;
    this.cache = new DataCache(options.memoryBytes() > 0 ? Math.min(CACHE_BYTES, options.memoryBytes()) : CACHE_BYTES);
    this.targets = new NodeTargets(options.host(), options.port(), options.tls());
    this.http = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setKeepAlive(true),
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(Math.max(2, options.slots())));
  }

  /**
   * Starts a worker in a verticle of its own (its own event loop context, as a separate
   * program would have); completes once it is registered and listening.
   */
  public static Future<HeadlessWorker> deploy(Vertx vertx, WebSocketClient sockets, Options options) {
    Promise<HeadlessWorker> started = Promise.promise();
    vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        return HeadlessWorker.start(vertx, sockets, options).onComplete(started);
      }
    }).onFailure(started::tryFail);
    return started.future();
  }

  /** Connects, registers and starts listening on the caller's context; completes once the server may dispatch to it. */
  public static Future<HeadlessWorker> start(Vertx vertx, WebSocketClient sockets, Options options) {
    HeadlessWorker worker = new HeadlessWorker(vertx, sockets, options);
    worker.join();
    return worker.firstJoin.future().map(worker);
  }

  private void join() {
    NodeTargets.Target target = targets.current();
    BridgeClient.connect(vertx, sockets, target.host(), target.port(), target.tls())
        .compose(connected -> {
          client = connected;
          client.closeHandler(v -> onClosed());
          JsonObject registration = new JsonObject()
              .put("protocol", PROTOCOL)
              .put("holds", new io.vertx.core.json.JsonArray(cache.ids(MAX_HOLDS)))
              .put("workerId", options.workerId())
              .put("name", options.name())
              .put("engine", options.engine().kind())
              .put("adapter", options.engine().description())
              .put("slots", options.slots());
          if (options.memoryBytes() > 0) {
            registration.put("memoryBytes", options.memoryBytes());
          }
          if (options.key() != null) {
            registration.put("key", options.key());
          }
          if (options.token() != null) {
            registration.put("token", options.token());
          }
          lastRegistration = registration;
          return client.request(WORKER_REGISTER, registration);
        })
        .onSuccess(this::registered)
        .onFailure(err -> {
          // A refusal by the grid (private, throttled, full) is for the person running the worker to read.
          boolean refused = err instanceof io.vertx.core.eventbus.ReplyException reply && reply.failureCode() >= 400;
          LOG.log(refused ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
              options.name() + " could not join: " + err.getMessage());
          if (client != null) {
            client.close();
          }
          if (!options.reconnect()) {
            firstJoin.tryFail(err);
          } else if (client == null) {
            targets.next();
            retryLater();
          }
        });
  }

  private void registered(JsonObject reply) {
    sessionId = reply.getString("sessionId");
    address = reply.getString("address");
    sessions++;
    connected = true;
    targets.learn(reply.getJsonArray("nodes"));
    backoffMs = 500;
    client.register(address, this::onMessage);
    listenForScheduler();
    long interval = reply.getLong("heartbeatIntervalMs", 2000L);
    heartbeatTimer = vertx.setPeriodic(interval, id -> heartbeat());
    // The server dispatches once the bridge reports the handler live; a heartbeat round trip
    // after the register frame proves the frame was processed (frames are handled in order).
    client.request(WORKER_HEARTBEAT, new JsonObject().put("sessionId", sessionId))
        .onComplete(ar -> firstJoin.tryComplete());
  }

  private JsonObject lastRegistration;
  private BridgeClient announcedOn;

  /** Once per socket: a newly elected scheduler's announcement makes this worker register again. */
  private void listenForScheduler() {
    if (announcedOn != client) {
      announcedOn = client;
      client.register(WORKER_ANNOUNCE, announce -> reRegister());
    }
  }

  /**
   * A new scheduler was elected (failover): registers again on the same socket, with the same
   * identity. The new scheduler answers with a new session: the old one's work is dropped and the
   * private handler registered afresh, which tells the new scheduler it is live.
   */
  private void reRegister() {
    BridgeClient current = client;
    if (current == null || lastRegistration == null || frozen) {
      return;
    }
    current.request(WORKER_REGISTER, lastRegistration).onSuccess(reply -> {
      if (client != current || reply.getString("sessionId", "").equals(sessionId)) {
        return; // the same scheduler, or the socket is gone meanwhile
      }
      vertx.cancelTimer(heartbeatTimer);
      queue.clear();
      bByJob.clear();
      bRowsReceived.clear();
      bColStart.clear();
      current.unregister(address);
      registered(reply);
    }).onFailure(err -> LOG.log(System.Logger.Level.DEBUG, options.name() + " could not register with the new scheduler: "
        + err.getMessage()));
  }

  private void heartbeat() {
    if (frozen || client == null) {
      return;
    }
    String beating = sessionId;
    client.request(WORKER_HEARTBEAT, new JsonObject().put("sessionId", sessionId).put("busy", queue.size()))
        .onFailure(err -> {
          // The server no longer knows this session: start afresh (unless it was replaced meanwhile, by
          // registering with a new scheduler).
          if (err instanceof ReplyException reply && reply.failureCode() == 404 && beating.equals(sessionId)
              && client != null) {
            client.close();
          }
        });
  }

  private void onClosed() {
    connected = false;
    vertx.cancelTimer(heartbeatTimer);
    queue.clear();
    bByJob.clear();
    bRowsReceived.clear();
    bColStart.clear();
    client = null;
    if (!stopped && options.reconnect()) {
      follow();
    }
  }

  /** After a close: at once to the node a stopping one named, else the next known node after a backoff. */
  private void follow() {
    if (moving) {
      moving = false;
      join();
    } else {
      targets.next();
      retryLater();
    }
  }

  /** {type: "move", nodes}: this node is stopping; leave it for the first of {@code nodes}. */
  private void move(JsonObject message) {
    NodeTargets.Target to = targets.moveTo(message.getJsonArray("nodes"));
    LOG.log(System.Logger.Level.INFO, options.name() + " moves to " + to + ": its node is stopping");
    moving = true;
    if (client != null) {
      client.close();
    }
  }

  private void retryLater() {
    long delay = (long) (backoffMs * (0.75 + Math.random() * 0.5));
    backoffMs = Math.min(10_000, backoffMs * 2);
    vertx.setTimer(delay, id -> {
      if (!stopped) {
        join();
      }
    });
  }

  private void onMessage(JsonObject message) {
    if (frozen) {
      return;
    }
    waiters.removeIf(w -> w.getKey().test(message) && w.getValue().tryComplete(message));
    try {
      switch (message.getString("type", "")) {
        case "b" -> receiveB(message);
        case "chunk" -> receiveChunk(message);
        case "cancel" -> message.getJsonArray("assignmentIds").forEach(id -> {
          cancelled.add(String.valueOf(id));
          queue.removeIf(c -> c.assignmentId().equals(id));
        });
        case "release" -> {
          bColStart.remove(message.getString("jobId"));
          bByJob.remove(message.getString("jobId"));
          bRowsReceived.remove(message.getString("jobId"));
        }
        case "stats" -> lastStats = message;
        case "move" -> move(message);
        case "refused" -> LOG.log(System.Logger.Level.WARNING, "the server refused our result for chunk "
            + message.getValue("chunkIndex") + ": " + message.getValue("reason"));
        default -> { }
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, options.name() + " could not use a message: " + e.getMessage());
    }
  }

  private void receiveB(JsonObject part) {
    String jobId = part.getString("jobId");
    int rows = part.getInteger("rows");
    int cols = part.getInteger("cols");
    int rowStart = part.getInteger("rowStart");
    int rowCount = part.getInteger("rowCount");
    int colStart = part.getInteger("colStart", 0);
    float[] held = bByJob.get(jobId);
    if (held == null || held.length != (long) rows * cols || bColStart.getOrDefault(jobId, 0) != colStart) {
      // Another column panel of B for this job: it replaces the one held (a worker holds one).
      bByJob.put(jobId, new float[Math.multiplyExact(rows, cols)]);
      bRowsReceived.put(jobId, 0);
      bColStart.put(jobId, colStart);
    }
    float[] b = bByJob.get(jobId);
    if (rowStart < 0 || rowCount < 0 || rowStart + rowCount > rows) {
      throw new IllegalArgumentException("B part outside B");
    }
    Float32Codec.decodeInto(part.getString("data"), b, rowStart * cols, Math.multiplyExact(rowCount, cols));
    payloadValues += (long) rowCount * cols;
    bRowsReceived.merge(jobId, rowCount, Integer::sum);
  }

  private void receiveChunk(JsonObject m) {
    long received = System.nanoTime();
    io.vertx.core.json.JsonArray inputs = m.getJsonArray("inputs");
    if (inputs == null) { // protocol 1: A inline, B from the b parts
      accept(new Chunk(m.getString("assignmentId"), m.getString("jobId"), m.getInteger("chunkIndex"),
          m.getInteger("rowStart"), m.getInteger("rows"), m.getInteger("colsA"), m.getInteger("colsB"), m.getString("a"),
          received, null, null, null, m.getInteger("colStart", 0)));
      payloadValues += (long) m.getInteger("rows") * m.getInteger("colsA");
      return;
    }
    // Protocol 2: fetch what the cache lacks, then queue the chunk.
    JsonObject aItem = null;
    JsonObject bItem = null;
    for (Object o : inputs) {
      JsonObject item = (JsonObject) o;
      if ("a".equals(item.getString("role"))) {
        aItem = item;
      } else if ("b".equals(item.getString("role"))) {
        bItem = item;
      }
    }
    if (aItem == null || bItem == null) {
      throw new IllegalArgumentException("a chunk names no A or no B");
    }
    BridgeClient on = client;
    Future<float[]> a = item(aItem);
    Future<float[]> b = item(bItem);
    Future.all(a, b).onComplete(ar -> {
      if (client != on || client == null) {
        return; // the socket changed meanwhile: the lease went with the old session
      }
      Chunk chunk = new Chunk(m.getString("assignmentId"), m.getString("jobId"), m.getInteger("chunkIndex"),
          m.getInteger("rowStart"), m.getInteger("rows"), m.getInteger("colsA"), m.getInteger("colsB"), null, received,
          ar.succeeded() ? a.result() : null, ar.succeeded() ? b.result() : null,
          m.getString("upload"), m.getInteger("colStart", 0));
      if (ar.failed()) {
        fail(chunk, "could not fetch its inputs: " + ar.cause().getMessage());
        return;
      }
      accept(chunk);
    });
  }

  private void accept(Chunk chunk) {
    if (cancelled.remove(chunk.assignmentId())) {
      return;
    }
    if (behaviour.intercept(this, chunk)) {
      return;
    }
    queue.addLast(chunk);
    computeNext();
  }

  /** A data item from the cache, or fetched (once, however many chunks ask at the same time). */
  private Future<float[]> item(JsonObject item) {
    String id = item.getString("id");
    float[] held = cache.get(id);
    if (held != null) {
      return Future.succeededFuture(held);
    }
    Future<float[]> pending = fetching.get(id);
    if (pending != null) {
      return pending;
    }
    int count = Math.multiplyExact(item.getInteger("rows"), item.getInteger("cols"));
    String url = item.getString("url");
    NodeTargets.Target target = targets.current();
    Future<float[]> fetched = http.request(new io.vertx.core.http.RequestOptions().setHost(target.host())
            .setPort(target.port()).setSsl(target.tls()).setURI(url))
        .compose(request -> {
          httpBytesOut += requestBytes(request, url);
          return request.send();
        })
        .compose(response -> {
          httpBytesIn += responseHeaderBytes(response);
          return response.body().map(body -> {
            httpBytesIn += body.length();
            if (response.statusCode() != 200) {
              throw new IllegalStateException("GET " + url.replaceAll("\\?.*", "") + " answered "
                  + response.statusCode() + ": " + body.toString());
            }
            if (body.length() != count * Float.BYTES) {
              throw new IllegalStateException("item " + id + " has " + body.length() + " bytes, not " + count * 4);
            }
            float[] values = new float[count];
            java.nio.ByteBuffer.wrap(body.getBytes()).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            payloadValues += count;
            return values;
          });
        });
    fetching.put(id, fetched);
    fetched.onComplete(ar -> {
      fetching.remove(id);
      if (ar.succeeded()) {
        cache.put(id, ar.result());
        if ("b".equals(item.getString("role"))) {
          reportHolds(); // B is what locality is about: the scheduler hears of it
        }
      }
    });
    return fetched;
  }

  /** Registers again on the same socket, listing what the cache holds (the server keeps the session). */
  private void reportHolds() {
    if (client == null || lastRegistration == null) {
      return;
    }
    lastRegistration.put("holds", new io.vertx.core.json.JsonArray(cache.ids(MAX_HOLDS)));
    client.request(WORKER_REGISTER, lastRegistration).onFailure(err -> LOG.log(System.Logger.Level.DEBUG,
        options.name() + " could not report its cache: " + err.getMessage()));
  }

  private static long requestBytes(io.vertx.core.http.HttpClientRequest request, String uri) {
    long bytes = request.getMethod().name().length() + uri.length() + 12; // "GET <uri> HTTP/1.1\r\n"
    for (Map.Entry<String, String> h : request.headers()) {
      bytes += h.getKey().length() + h.getValue().length() + 4;
    }
    return bytes + 2;
  }

  private static long responseHeaderBytes(io.vertx.core.http.HttpClientResponse response) {
    long bytes = 15 + String.valueOf(response.statusMessage()).length(); // "HTTP/1.1 200 OK\r\n"
    for (Map.Entry<String, String> h : response.headers()) {
      bytes += h.getKey().length() + h.getValue().length() + 4;
    }
    return bytes + 2;
  }

  /** Bytes this worker moved over HTTP (the data plane): request and response lines, headers and bodies. */
  public long httpBytes() {
    return httpBytesIn + httpBytesOut;
  }

  /** This worker's cache of data items (tests count its hits). */
  public DataCache cache() {
    return cache;
  }

  private void computeNext() {
    if (computing || queue.isEmpty() || client == null) {
      return;
    }
    Chunk chunk = queue.pollFirst();
    float[] b = chunk.bValues() != null ? chunk.bValues() : bByJob.get(chunk.jobId());
    Integer rowsOfB = chunk.bValues() != null ? chunk.colsA() : bRowsReceived.get(chunk.jobId());
    if (b == null || rowsOfB == null || rowsOfB != chunk.colsA() || b.length != (long) chunk.colsA() * chunk.colsB()
        || (chunk.bValues() == null && bColStart.getOrDefault(chunk.jobId(), 0) != chunk.colStart())) {
      fail(chunk, "B (columns from " + chunk.colStart() + ") of job " + chunk.jobId() + " is not complete here");
      computeNext();
      return;
    }
    largestChunkBytes = Math.max(largestChunkBytes, ((long) chunk.rows() * chunk.colsA() + b.length
        + (long) chunk.rows() * chunk.colsB()) * Float.BYTES);
    computing = true;
    long started = System.nanoTime();
    double waitMs = (started - chunk.receivedNanos()) / 1e6;
    MatrixEngine engine = options.engine();
    // Decoding A, multiplying and encoding C are O(chunk): on a worker thread unless instant.
    Future<Computed> product = engine.instant()
        ? Future.succeededFuture(Computed.of(engine, chunk, null, b))
        : vertx.executeBlocking(() -> Computed.of(engine, chunk, chunk.aRows(), b), false);
    product.onComplete(ar -> {
      computing = false;
      if (cancelled.remove(chunk.assignmentId()) || client == null) {
        computeNext();
        return;
      }
      if (ar.failed()) {
        fail(chunk, "the engine failed: " + ar.cause().getMessage());
      } else {
        deliver(chunk, ar.result().values(), ar.result().computeMs(), waitMs);
      }
      computeNext();
    });
  }

  /** A chunk's product and the time the multiply took. */
  private record Computed(float[] values, double computeMs) {
    static Computed of(MatrixEngine engine, Chunk chunk, float[] a, float[] b) {
      long t0 = System.nanoTime();
      float[] c = engine.multiply(a, chunk.rows(), chunk.colsA(), b, chunk.colsB());
      double ms = (System.nanoTime() - t0) / 1e6;
      return new Computed(c, ms);
    }
  }

  /** Sends a result for a chunk (tests may send any data they like). */
  public void sendResult(Chunk chunk, float[] values, double computeMs, double waitMs) {
    deliver(chunk, values, computeMs, waitMs);
  }

  /** Protocol 2: uploads the result's bytes to the chunk's URL; protocol 1: a result message with base64. */
  private void deliver(Chunk chunk, float[] values, double computeMs, double waitMs) {
    if (chunk.upload() == null) {
      sendEncoded(chunk, Float32Codec.toBase64(values), computeMs, waitMs);
      return;
    }
    if (client == null) {
      return;
    }
    java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(values.length * Float.BYTES)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    io.vertx.core.buffer.Buffer body = io.vertx.core.buffer.Buffer.buffer(bytes.array());
    String uri = chunk.upload() + "&computeMs=" + computeMs + "&waitMs=" + waitMs;
    NodeTargets.Target target = targets.current();
    http.request(new io.vertx.core.http.RequestOptions().setMethod(io.vertx.core.http.HttpMethod.PUT)
            .setHost(target.host()).setPort(target.port()).setSsl(target.tls()).setURI(uri))
        .compose(request -> {
          request.putHeader("content-type", "application/octet-stream");
          request.putHeader("content-length", String.valueOf(body.length()));
          httpBytesOut += requestBytes(request, uri) + body.length();
          return request.send(body);
        })
        .compose(response -> {
          httpBytesIn += responseHeaderBytes(response);
          return response.body().map(answer -> {
            httpBytesIn += answer.length();
            if (response.statusCode() != 204) {
              LOG.log(System.Logger.Level.WARNING, "the server refused our upload for chunk " + chunk.chunkIndex()
                  + ": " + response.statusCode() + " " + answer);
            }
            return null;
          });
        })
        .onFailure(err -> LOG.log(System.Logger.Level.DEBUG, options.name() + " could not upload: " + err.getMessage()));
    payloadValues += values.length;
    chunksDone++;
  }

  private void sendEncoded(Chunk chunk, String data, double computeMs, double waitMs) {
    if (client == null) {
      return;
    }
    client.send(WORKER_RESULT, new JsonObject()
        .put("sessionId", sessionId)
        .put("assignmentId", chunk.assignmentId())
        .put("jobId", chunk.jobId())
        .put("chunkIndex", chunk.chunkIndex())
        .put("computeMs", computeMs)
        .put("waitMs", waitMs)
        .put("data", data));
    payloadValues += (long) chunk.rows() * chunk.colsB();
    chunksDone++;
  }

  /** Computes a chunk with this worker's engine, blocking; for tests that hold chunks back. */
  public float[] computeNow(Chunk chunk) {
    float[] b = chunk.bValues() != null ? chunk.bValues() : bByJob.get(chunk.jobId());
    return options.engine().multiply(chunk.aRows(), chunk.rows(), chunk.colsA(), b, chunk.colsB());
  }

  /** Reports that a chunk could not be computed (tests use it to play a poison chunk). */
  public void sendFailure(Chunk chunk, String error) {
    fail(chunk, error);
  }

  private void fail(Chunk chunk, String error) {
    if (client != null) {
      client.send(WORKER_FAILURE, new JsonObject().put("sessionId", sessionId)
          .put("assignmentId", chunk.assignmentId()).put("error", error));
    }
  }

  /** The most bytes one chunk has needed on this worker so far: A panel, B panel and C block. */
  public long largestChunkBytes() {
    return largestChunkBytes;
  }

  /** Bytes of float32 payload (A and B in, C out) this worker has moved, whatever their encoding on the wire. */
  public long payloadBytes() {
    return payloadValues * Float.BYTES;
  }

  /** Stops answering and heart-beating with the socket left open: a frozen tab. Callable from any thread. */
  public void freeze() {
    context.runOnContext(v -> frozen = true);
  }

  /** Callable from any thread. */
  public void behaviour(Behaviour behaviour) {
    context.runOnContext(v -> this.behaviour = behaviour);
  }

  /** Closes the socket for good (no reconnect). Callable from any thread. */
  public Future<Void> stop() {
    return onContext(() -> {
      stopped = true;
      vertx.cancelTimer(heartbeatTimer);
      http.close();
      return client == null ? Future.succeededFuture() : client.close();
    });
  }

  /** Closes the socket abruptly; with reconnect on, the worker comes back as a new session. Callable from any thread. */
  public Future<Void> dropConnection() {
    return onContext(() -> client == null ? Future.succeededFuture() : client.close());
  }

  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    Promise<T> done = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(done));
    return done.future();
  }

  public BridgeClient client() {
    return client;
  }

  public String sessionId() {
    return sessionId;
  }

  /** The private address the server sends to (bound to this worker's socket). */
  public String address() {
    return address;
  }

  public String workerId() {
    return options.workerId();
  }

  public String name() {
    return options.name();
  }

  /** Registered and listening now. Callable from any thread. */
  public boolean isConnected() {
    return connected;
  }

  public long chunksDone() {
    return chunksDone;
  }

  public long sessions() {
    return sessions;
  }

  /** The node this worker is connected to, or will connect to next (http://host:port). Any thread. */
  public String node() {
    return targets.current().toString();
  }

  public JsonObject lastStats() {
    return lastStats;
  }

  /** Completes with the first stats message (already received or to come) that {@code until} accepts. */
  public Future<JsonObject> stats(java.util.function.Predicate<JsonObject> until) {
    return onContext(() -> until.test(lastStats) ? Future.succeededFuture(lastStats)
        : awaitOnContext(m -> "stats".equals(m.getString("type")) && until.test(m)));
  }

  /** Completes with the next message from the server that {@code matches}. Callable from any thread. */
  public Future<JsonObject> nextMessage(java.util.function.Predicate<JsonObject> matches) {
    return onContext(() -> awaitOnContext(matches));
  }

  private Future<JsonObject> awaitOnContext(java.util.function.Predicate<JsonObject> matches) {
    Promise<JsonObject> promise = Promise.promise();
    waiters.add(java.util.Map.entry(matches, promise));
    return promise.future();
  }
}

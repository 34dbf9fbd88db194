package brain.worker;

import brain.model.Float32Codec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A worker without a browser: joins a grid over the same SockJS bridge and protocol as the
 * worker tab (docs/PROTOCOL.md), computes chunks with a {@link MatrixEngine}, one at a time,
 * and keeps up to its slots queued. Many can run in one JVM on one Vertx. All state is
 * confined to the event loop of the context that started it; the engine runs on worker
 * threads unless it is instant.
 *
 * <p>This class is the public face and the message dispatch; the parts are {@link WorkerLink}
 * (connection, registration, following nodes), {@link ChunkLoop} (queue and compute),
 * {@link DataPlane} (protocol 2's HTTP fetch and upload) and {@link BPanels} (protocol 1's B).
 */
public final class HeadlessWorker {
  private static final System.Logger LOG = System.getLogger(HeadlessWorker.class.getName());

  /**
   * How to join. {@code key}: the worker key of a private grid, or null; {@code token}: a requestor's or
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

  /**
   * A chunk received and not yet answered. {@code a}: A's rows in base64 (protocol 1), or null; {@code aValues}, {@code bValues}: the
   * inputs fetched over HTTP and {@code upload} the result's URL (protocol 2), or null;
   * {@code colsB}: the chunk's columns (a 2-D block's width), {@code colStart}: its first column in C.
   */
  public record Chunk(String assignmentId, String jobId, int chunkIndex, int rowStart, int rows, int colsA, int colsB,
      String a, long receivedNanos, float[] aValues, float[] bValues, String upload, int colStart) {
    float[] aRows() {
      return aValues != null ? aValues : Float32Codec.fromBase64(a, rows * colsA);
    }

    /** The chunk a {type: "chunk"} message names: its A inline (protocol 1) or these inputs (protocol 2). */
    static Chunk of(JsonObject m, long receivedNanos, float[] aValues, float[] bValues) {
      return new Chunk(m.getString("assignmentId"), m.getString("jobId"), m.getInteger("chunkIndex"),
          m.getInteger("rowStart"), m.getInteger("rows"), m.getInteger("colsA"), m.getInteger("colsB"), m.getString("a"),
          receivedNanos, aValues, bValues, m.getString("upload"), m.getInteger("colStart", 0));
    }
  }

  /** The worker protocol this worker speaks (docs/PROTOCOL.md). */
  static final int PROTOCOL = 2;
  /** Bytes of fetched inputs a worker keeps (LRU). */
  static final long CACHE_BYTES = 128L << 20;
  /** What to do with a chunk instead of answering it right (fault injection for tests). */
  public interface Behaviour {
    /** Return true to handle the chunk yourself (the worker then does nothing with it). */
    boolean intercept(HeadlessWorker worker, Chunk chunk);
  }

  private final Context context;
  private final Options options;
  /** Fetched items; never more than the memory budget it declares (what it holds counts against it). */
  private final DataCache cache;
  private final NodeTargets targets;
  private final BPanels panels = new BPanels();
  private final WorkerLink link;
  private final DataPlane data;
  private final ChunkLoop chunks;
  private static final Behaviour ANSWERING = (worker, chunk) -> false;
  private Behaviour behaviour = ANSWERING;
  private JsonObject lastStats = new JsonObject();
  /** Tests and tools waiting for a message from the server. */
  private final List<Map.Entry<Predicate<JsonObject>, Promise<JsonObject>>> waiters = new ArrayList<>();

  private HeadlessWorker(Vertx vertx, WebSocketClient sockets, Options options) {
    this.context = vertx.getOrCreateContext();
    this.options = options;
    this.cache = new DataCache(options.memoryBytes() > 0 ? Math.min(CACHE_BYTES, options.memoryBytes()) : CACHE_BYTES);
    this.targets = new NodeTargets(options.host(), options.port(), options.tls());
    this.link = new WorkerLink(vertx, sockets, options, targets, cache, this::onMessage, this::reset, this::queued);
    this.data = new DataPlane(vertx, options.name(), options.slots(), targets, cache, link::reportHolds);
    this.chunks = new ChunkLoop(vertx, options.engine(), link, data, panels, chunk -> behaviour.intercept(this, chunk),
        () -> behaviour != ANSWERING);
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
    return worker.link.start().map(worker);
  }

  private int queued() {
    return chunks.queued();
  }

  /** The session ended or was replaced: its chunks and B panels go with it. */
  private void reset() {
    chunks.clear();
    panels.clear();
  }

  private void onMessage(JsonObject message) {
    if (link.frozen()) {
      return;
    }
    waiters.removeIf(w -> w.getKey().test(message) && w.getValue().tryComplete(message));
    try {
      switch (message.getString("type", "")) {
        case "b" -> panels.receive(message);
        case "chunk" -> chunks.receive(message);
        case "cancel" -> chunks.cancel(message.getJsonArray("assignmentIds"));
        case "release" -> panels.release(message.getString("jobId"));
        case "stats" -> lastStats = message;
        case "move" -> link.move(message);
        case "refused" -> LOG.log(System.Logger.Level.WARNING, "the server refused our result for chunk "
            + message.getValue("chunkIndex") + ": " + message.getValue("reason"));
        default -> { }
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, options.name() + " could not use a message: " + e.getMessage());
    }
  }

  /** Bytes this worker moved over HTTP (the data plane): request and response lines, headers and bodies. */
  public long httpBytes() {
    return data.bytes();
  }

  /** This worker's cache of data items (tests count its hits). */
  public DataCache cache() {
    return cache;
  }

  /** Sends a result for a chunk (tests may send any data they like). */
  public void sendResult(Chunk chunk, float[] values, double computeMs, double waitMs) {
    chunks.deliver(chunk, values, computeMs, waitMs);
  }

  /** Computes a chunk with this worker's engine, blocking; for tests that hold chunks back. */
  public float[] computeNow(Chunk chunk) {
    return chunks.computeNow(chunk);
  }

  /** Reports that a chunk could not be computed (tests use it to play a poison chunk). */
  public void sendFailure(Chunk chunk, String error) {
    chunks.fail(chunk, error);
  }

  /** The most bytes one chunk has needed on this worker so far: A panel, B panel and C block. */
  public long largestChunkBytes() {
    return chunks.largestChunkBytes();
  }

  /** Data items fetched because a chunk message named them to fetch ahead (PROTOCOL.md §4). */
  public long fetchedAhead() {
    return data.fetchedAhead();
  }

  /** Bytes of float32 payload (A and B in, C out) this worker has moved, whatever their encoding on the wire. */
  public long payloadBytes() {
    return (panels.values() + chunks.values() + data.values()) * Float.BYTES;
  }

  /** Stops answering and heart-beating with the socket left open: a frozen tab. Callable from any thread. */
  public void freeze() {
    context.runOnContext(v -> link.freeze());
  }

  /** Callable from any thread. */
  public void behaviour(Behaviour behaviour) {
    context.runOnContext(v -> this.behaviour = behaviour);
  }

  /** Closes the socket for good (no reconnect). Callable from any thread. */
  public Future<Void> stop() {
    return onContext(() -> {
      data.close();
      return link.stop();
    });
  }

  /** Closes the socket abruptly; with reconnect on, the worker comes back as a new session. Callable from any thread. */
  public Future<Void> dropConnection() {
    return onContext(link::drop);
  }

  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    Promise<T> done = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(done));
    return done.future();
  }

  public BridgeClient client() {
    return link.client();
  }

  public String sessionId() {
    return link.sessionId();
  }

  /** The private address the server sends to (bound to this worker's socket). */
  public String address() {
    return link.address();
  }

  public String workerId() {
    return options.workerId();
  }

  public String name() {
    return options.name();
  }

  /** Registered and listening now. Callable from any thread. */
  public boolean isConnected() {
    return link.connected();
  }

  public long chunksDone() {
    return chunks.chunksDone();
  }

  public long sessions() {
    return link.sessions();
  }

  /** The node this worker is connected to, or will connect to next (http://host:port). Any thread. */
  public String node() {
    return targets.current().toString();
  }

  public JsonObject lastStats() {
    return lastStats;
  }

  /** Completes with the first stats message (already received or to come) that {@code until} accepts. */
  public Future<JsonObject> stats(Predicate<JsonObject> until) {
    return onContext(() -> until.test(lastStats) ? Future.succeededFuture(lastStats)
        : awaitOnContext(m -> "stats".equals(m.getString("type")) && until.test(m)));
  }

  /** Completes with the next message from the server that {@code matches}. Callable from any thread. */
  public Future<JsonObject> nextMessage(Predicate<JsonObject> matches) {
    return onContext(() -> awaitOnContext(matches));
  }

  private Future<JsonObject> awaitOnContext(Predicate<JsonObject> matches) {
    Promise<JsonObject> promise = Promise.promise();
    waiters.add(Map.entry(matches, promise));
    return promise.future();
  }
}

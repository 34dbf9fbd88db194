package brain.testing;

import static brain.bus.Addresses.WORKER_HEARTBEAT;
import static brain.bus.Addresses.WORKER_REGISTER;
import static brain.bus.Addresses.WORKER_RESULT;

import brain.model.Float32Codec;
import brain.model.WorkerLabel;
import brain.worker.BridgeClient;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A worker speaking the raw protocol of docs/PROTOCOL.md over {@link BridgeClient}, for tests
 * that need to send what no well-behaved worker sends. It registers, registers its private
 * address, heart-beats, collects B parts, and answers each chunk with an honest float32
 * product, except that the test's {@link Rewriter} sees (and may change, or withhold) every
 * result JSON before it is sent. Every message from the server is kept and can be awaited.
 * Its state is confined to one event-loop context; the public methods may be called from any
 * thread.
 */
public final class RawWorker implements AutoCloseable {
  /** Changes a result before it is sent; answer null to send nothing (the chunk is then held). */
  public interface Rewriter {
    JsonObject rewrite(JsonObject chunk, JsonObject result);
  }

  private final Vertx vertx;
  private final Context context;
  private final WebSocketClient sockets;
  private final String workerId;
  private final String name;
  private BridgeClient client;
  private String sessionId;
  private String address;
  private long heartbeatTimer = -1;
  private final Map<String, float[]> bByJob = new HashMap<>();
  private final Map<String, Integer> bRows = new HashMap<>();
  private volatile Rewriter rewriter = (chunk, result) -> result;
  private final List<JsonObject> received = new ArrayList<>();
  private final List<JsonObject> sent = new ArrayList<>();
  private final List<Map.Entry<Predicate<JsonObject>, CompletableFuture<JsonObject>>> waiters = new ArrayList<>();

  private RawWorker(Vertx vertx, String workerId, String name) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.sockets = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(64 * 1024 * 1024)
        .setMaxFrameSize(1024 * 1024));
    this.workerId = workerId;
    this.name = name;
  }

  /** Connects to the grid and registers; returns once the server may dispatch to it. */
  public static RawWorker join(TestGrid grid, String workerId, String name, int slots) {
    RawWorker worker = new RawWorker(grid.vertx(), workerId, name);
    TestGrid.await(worker.onContext(() -> worker.connect(grid.port(), slots, true)));
    return worker;
  }

  /** As {@link #join(TestGrid, String, String, int)}, declaring {@code memoryBytes} (2-D blocks: it holds one B panel per job). */
  public static RawWorker join(TestGrid grid, String workerId, String name, int slots, long memoryBytes) {
    RawWorker worker = new RawWorker(grid.vertx(), workerId, name);
    worker.memoryBytes = memoryBytes;
    TestGrid.await(worker.onContext(() -> worker.connect(grid.port(), slots, true)));
    return worker;
  }

  private long memoryBytes;
  /** Per job, the first column of the B panel held. */
  private final java.util.Map<String, Integer> bColStart = new java.util.HashMap<>();

  /**
   * Registers (a session, heart-beating) but never registers its private address: the server
   * may not dispatch to it, so it joins and does no work.
   */
  public static RawWorker joinIdle(TestGrid grid, String workerId, String name) {
    RawWorker worker = new RawWorker(grid.vertx(), workerId, name);
    TestGrid.await(worker.onContext(() -> worker.connect(grid.port(), 1, false)));
    return worker;
  }

  private Future<Void> connect(int port, int slots, boolean listen) {
    return BridgeClient.connect(vertx, sockets, "127.0.0.1", port, false).compose(c -> {
      client = c;
      JsonObject registration = new JsonObject().put("protocol", 1).put("workerId", workerId).put("name", name)
          .put("engine", "cpu").put("adapter", "raw test worker").put("slots", slots);
      if (memoryBytes > 0) {
        registration.put("memoryBytes", memoryBytes);
      }
      return c.request(WORKER_REGISTER, registration);
    }).compose(reply -> {
      sessionId = reply.getString("sessionId");
      address = reply.getString("address");
      if (listen) {
        client.register(address, this::onMessage);
      }
      long interval = reply.getLong("heartbeatIntervalMs", 2000L);
      heartbeatTimer = vertx.setPeriodic(interval, id -> {
        if (client != null && !client.isClosed()) {
          client.request(WORKER_HEARTBEAT, new JsonObject().put("sessionId", sessionId));
        }
      });
      // Frames are handled in order: once this heartbeat is answered the register frame was seen.
      return client.request(WORKER_HEARTBEAT, new JsonObject().put("sessionId", sessionId)).mapEmpty();
    });
  }

  /** Every result this worker sends goes through {@code rewriter} first. */
  public void rewrite(Rewriter rewriter) {
    this.rewriter = rewriter;
  }

  public String workerId() {
    return workerId;
  }

  public String name() {
    return name;
  }

  public String label() {
    return WorkerLabel.of(workerId);
  }

  public String sessionId() {
    return TestGrid.await(onContext(() -> Future.succeededFuture(sessionId)));
  }

  /** Messages received so far, in order. */
  public List<JsonObject> received() {
    return TestGrid.await(onContext(() -> Future.succeededFuture(List.copyOf(received))));
  }

  /** Results sent so far (after rewriting), in order. */
  public List<JsonObject> sent() {
    return TestGrid.await(onContext(() -> Future.succeededFuture(List.copyOf(sent))));
  }

  /** Completes with the first message (already received or to come) that {@code matches}. */
  public CompletableFuture<JsonObject> message(Predicate<JsonObject> matches) {
    CompletableFuture<JsonObject> found = new CompletableFuture<>();
    context.runOnContext(v -> {
      for (JsonObject message : received) {
        if (matches.test(message)) {
          found.complete(message);
          return;
        }
      }
      waiters.add(Map.entry(matches, found));
    });
    return found;
  }

  /** The first message (already received or to come) that {@code matches}, waiting at most {@code within}. */
  public JsonObject awaitMessage(Predicate<JsonObject> matches, Duration within) {
    CompletableFuture<JsonObject> found = message(matches);
    try {
      return found.get(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError(name + " received no matching message within " + within + "; received: "
          + summary(received()));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> summary(List<JsonObject> messages) {
    return messages.stream().map(m -> {
      JsonObject copy = m.copy();
      copy.remove("data");
      copy.remove("a");
      return copy.encode();
    }).toList();
  }

  private void onMessage(JsonObject message) {
    received.add(message);
    waiters.removeIf(w -> w.getKey().test(message) && w.getValue().complete(message));
    switch (message.getString("type", "")) {
      case "b" -> {
        String jobId = message.getString("jobId");
        int rows = message.getInteger("rows");
        int cols = message.getInteger("cols");
        int colStart = message.getInteger("colStart", 0);
        if (!bByJob.containsKey(jobId) || bByJob.get(jobId).length != rows * cols || bColStart.getOrDefault(jobId, 0) != colStart) {
          bByJob.put(jobId, new float[rows * cols]); // another column panel replaces the one held
          bRows.put(jobId, 0);
          bColStart.put(jobId, colStart);
        }
        float[] b = bByJob.get(jobId);
        int rowCount = message.getInteger("rowCount");
        Float32Codec.decodeInto(message.getString("data"), b, message.getInteger("rowStart") * cols, rowCount * cols);
        bRows.merge(jobId, rowCount, Integer::sum);
      }
      case "chunk" -> answer(message, System.nanoTime());
      case "release" -> {
        bByJob.remove(message.getString("jobId"));
        bRows.remove(message.getString("jobId"));
      }
      default -> { }
    }
  }

  private void answer(JsonObject chunk, long receivedNanos) {
    String jobId = chunk.getString("jobId");
    float[] b = bByJob.get(jobId);
    int rows = chunk.getInteger("rows");
    int colsA = chunk.getInteger("colsA");
    int colsB = chunk.getInteger("colsB");
    if (b == null || bRows.getOrDefault(jobId, 0) != colsA || b.length != colsA * colsB
        || bColStart.getOrDefault(jobId, 0).intValue() != chunk.getInteger("colStart", 0).intValue()) {
      throw new IllegalStateException(name + ": chunk of job " + jobId + " before all of its B");
    }
    long started = System.nanoTime();
    float[] c = multiply(Float32Codec.fromBase64(chunk.getString("a"), rows * colsA), rows, colsA, b, colsB);
    double computeMs = (System.nanoTime() - started) / 1e6;
    JsonObject result = new JsonObject()
        .put("sessionId", sessionId)
        .put("assignmentId", chunk.getString("assignmentId"))
        .put("jobId", jobId)
        .put("chunkIndex", chunk.getInteger("chunkIndex"))
        .put("computeMs", computeMs)
        .put("waitMs", (started - receivedNanos) / 1e6)
        .put("data", Float32Codec.toBase64(c));
    JsonObject rewritten = rewriter.rewrite(chunk, result);
    if (rewritten != null && client != null) {
      sent.add(rewritten);
      client.send(WORKER_RESULT, rewritten);
    }
  }

  /** Plain float32 i-k-j product (the chunks of these tests are small: done on the event loop). */
  public static float[] multiply(float[] a, int rows, int colsA, float[] b, int colsB) {
    float[] c = new float[rows * colsB];
    for (int i = 0; i < rows; i++) {
      for (int p = 0; p < colsA; p++) {
        float aip = a[i * colsA + p];
        int bRow = p * colsB;
        int cRow = i * colsB;
        for (int j = 0; j < colsB; j++) {
          c[cRow + j] += aip * b[bRow + j];
        }
      }
    }
    return c;
  }

  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(promise);
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }

  /** Closes the socket (the server then loses the session and takes back what it holds). */
  @Override
  public void close() {
    TestGrid.await(onContext(() -> {
      vertx.cancelTimer(heartbeatTimer);
      BridgeClient closing = client;
      client = null;
      Future<Void> closed = closing == null || closing.isClosed() ? Future.succeededFuture() : closing.close();
      return closed.eventually(() -> sockets.close());
    }));
  }
}

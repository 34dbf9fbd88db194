package brain.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The yardstick for job wall time: the seed's protocol done carefully, with none of the grid's
 * duties. A plain Vert.x WebSocket server in this process sends each chunk as one binary frame
 * (a 20-byte header, the chunk's rows of A and the whole of B, as the seed does), and its
 * workers answer with one binary frame (header and the chunk's rows of C) without computing.
 * No bridge, no event bus, no database, no check, no credit, no timeline: what is left is the
 * cost of moving the bytes, which is what the grid is compared with.
 *
 * <p>Frames: server → worker {@code int job, int chunk, int rows, int colsA, int colsB} then A's
 * rows and B as little-endian float32; worker → server {@code int job, int chunk} then the C rows.
 */
final class ReferenceGrid implements AutoCloseable {
  private static final int HEADER = 20;

  private final Vertx vertx = Vertx.vertx();
  /** The server's one context: its sockets and the job are touched only there. */
  private final Context context = vertx.getOrCreateContext();
  private final HttpServer server;
  private final List<ServerWebSocket> idle = new ArrayList<>();
  private final List<WebSocket> workers = new ArrayList<>();
  private final WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
      .setMaxFrameSize(64 << 20).setMaxMessageSize(64 << 20));
  private final int slots;
  private Job job;
  private int jobs;

  /** One job in flight: chunks not yet sent, C as it is filled, and the answer. */
  private static final class Job {
    final int id;
    final int rows;
    final int colsA;
    final int colsB;
    final int chunkRows;
    final float[] a;
    final float[] b;
    final float[] c;
    final ArrayDeque<Integer> queue = new ArrayDeque<>();
    final Promise<float[]> done = Promise.promise();
    int remaining;

    Job(int id, int rows, int colsA, int colsB, int chunkRows, long seed) {
      this.id = id;
      this.rows = rows;
      this.colsA = colsA;
      this.colsB = colsB;
      this.chunkRows = chunkRows;
      SplittableRandom random = new SplittableRandom(seed);
      a = new float[rows * colsA];
      b = new float[colsA * colsB];
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) (random.nextDouble() * 2 - 1);
      }
      for (int i = 0; i < b.length; i++) {
        b[i] = (float) (random.nextDouble() * 2 - 1);
      }
      c = new float[rows * colsB];
      int chunks = (rows + chunkRows - 1) / chunkRows;
      for (int i = 0; i < chunks; i++) {
        queue.add(i);
      }
      remaining = chunks;
    }
  }

  /** The server, listening on loopback; each worker keeps up to {@code slots} chunks. */
  ReferenceGrid(int slots) {
    this.slots = slots;
    Promise<HttpServer> listening = Promise.promise();
    context.runOnContext(v -> vertx.createHttpServer(new HttpServerOptions().setMaxWebSocketFrameSize(64 << 20)
        .setMaxWebSocketMessageSize(64 << 20)).webSocketHandler(this::accept).listen(0, "127.0.0.1").onComplete(listening));
    server = BenchGrid.await(listening.future());
  }

  /** Connects {@code n} more workers that answer with zeros, as the grid's answering workers do. */
  void workers(int n) {
    for (int i = 0; i < n; i++) {
      WebSocket ws = BenchGrid.await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
          .setPort(server.actualPort()).setURI("/")));
      ws.binaryMessageHandler(frame -> ws.writeBinaryMessage(answer(frame)));
      workers.add(ws);
    }
    // Every socket is idle on the server before the first job.
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (idleSlots() < workers.size() * slots) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the reference's workers did not all connect");
      }
      Thread.onSpinWait();
    }
  }

  private int idleSlots() {
    synchronized (idle) {
      return idle.size();
    }
  }

  /** Closes every worker. */
  void stopWorkers() {
    BenchGrid.await(Future.all(workers.stream().map(WebSocket::close).toList()));
    workers.clear();
    synchronized (idle) {
      idle.clear();
    }
  }

  /** Runs one job to its end; answers C. */
  float[] run(int rows, int colsA, int colsB, int chunkRows) {
    Promise<float[]> answer = Promise.promise();
    context.runOnContext(v -> {
      job = new Job(++jobs, rows, colsA, colsB, chunkRows, jobs);
      job.done.future().onComplete(answer);
      List<ServerWebSocket> free;
      synchronized (idle) {
        free = new ArrayList<>(idle);
        idle.clear();
      }
      free.forEach(this::feed);
    });
    return BenchGrid.await(answer.future());
  }

  private void accept(ServerWebSocket ws) {
    ws.binaryMessageHandler(frame -> {
      int jobId = frame.getIntLE(0);
      int chunk = frame.getIntLE(4);
      Job current = job;
      if (current != null && jobId == current.id) {
        ByteBuffer.wrap(frame.getBytes(8, frame.length())).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(current.c, chunk * current.chunkRows * current.colsB,
            Math.min(current.chunkRows, current.rows - chunk * current.chunkRows) * current.colsB);
        if (--current.remaining == 0) {
          current.done.complete(current.c);
        }
      }
      feed(ws);
    });
    synchronized (idle) {
      for (int i = 0; i < slots; i++) {
        idle.add(ws);
      }
    }
  }

  /** Sends the next chunk to {@code ws}, or parks the slot until the next job. */
  private void feed(ServerWebSocket ws) {
    Job current = job;
    Integer chunk = current == null ? null : current.queue.poll();
    if (chunk == null) {
      synchronized (idle) {
        idle.add(ws);
      }
      return;
    }
    int first = chunk * current.chunkRows;
    int rows = Math.min(current.chunkRows, current.rows - first);
    ByteBuffer out = ByteBuffer.allocate(HEADER + 4 * (rows * current.colsA + current.b.length))
        .order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(current.id).putInt(chunk).putInt(rows).putInt(current.colsA).putInt(current.colsB);
    out.asFloatBuffer().put(current.a, first * current.colsA, rows * current.colsA)
        .put(current.b, 0, current.b.length);
    ws.writeBinaryMessage(Buffer.buffer(out.array()));
  }

  /** A worker's answer: the header's job and chunk, then rows × colsB zeros. */
  private static Buffer answer(Buffer frame) {
    int jobId = frame.getIntLE(0);
    int chunk = frame.getIntLE(4);
    int rows = frame.getIntLE(8);
    int colsB = frame.getIntLE(16);
    ByteBuffer out = ByteBuffer.allocate(8 + 4 * rows * colsB).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(jobId).putInt(chunk);
    return Buffer.buffer(out.array());
  }

  @Override
  public void close() {
    BenchGrid.await(vertx.close());
  }
}

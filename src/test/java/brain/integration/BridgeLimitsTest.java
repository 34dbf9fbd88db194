package brain.integration;

import static brain.bus.Addresses.*;
import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestGrid;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What one bridge socket may cost: message size however framed, message and byte rates, sockets per address. */
@Timeout(90)
class BridgeLimitsTest {
  private static final int MIB = 1024 * 1024;
  private static final long CLOSE_WITHIN_S = 5;

  private TestGrid grid;

  @AfterEach
  void stop() {
    if (grid != null) {
      grid.close();
    }
  }

  /** A plain WebSocket on /eventbus/websocket, writing frames exactly as the test says. */
  private record RawSocket(WebSocket ws, Future<Void> closed) {
    static RawSocket open(TestGrid grid) {
      WebSocketClient client = grid.vertx().createWebSocketClient(new WebSocketClientOptions()
          .setMaxFrameSize(64 * MIB).setMaxMessageSize(64 * MIB));
      WebSocket ws = TestGrid.await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
          .setPort(grid.port()).setURI("/eventbus/websocket")));
      Promise<Void> closed = Promise.promise();
      try {
        ws.closeHandler(v -> closed.tryComplete());
      } catch (IllegalStateException alreadyClosed) {
        // closed by the server before the handler could be set
      }
      if (ws.isClosed()) {
        closed.tryComplete();
      }
      return new RawSocket(ws, closed.future());
    }

    /** True if the server closed the socket within the test's bound. */
    boolean closesSoon() {
      try {
        closed.await(CLOSE_WITHIN_S, TimeUnit.SECONDS);
        return true;
      } catch (Exception e) {
        return false;
      }
    }
  }

  /** A send frame to the heartbeat address whose JSON text is {@code bytes} long, padded in the body. */
  private static String heartbeatFrame(int bytes, String replyAddress) {
    String head = "{\"type\":\"send\",\"address\":\"" + WORKER_HEARTBEAT + "\","
        + (replyAddress == null ? "" : "\"replyAddress\":\"" + replyAddress + "\",")
        + "\"body\":{\"sessionId\":\"s-unknown\",\"pad\":\"";
    String tail = "\"}}";
    return head + "x".repeat(bytes - head.length() - tail.length()) + tail;
  }

  @Test
  @DisplayName("a message over bridge.maxMessageBytes sent as two fragments closes its socket")
  void fragmentedOversizeMessageCloses() {
    grid = TestGrid.start();
    RawSocket socket = RawSocket.open(grid);
    String frame = heartbeatFrame(18 * MIB, null); // two 9 MiB fragments: each under the frame limit
    socket.ws().writeFrame(WebSocketFrame.textFrame(frame.substring(0, 9 * MIB), false));
    socket.ws().writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(frame.substring(9 * MIB)), true));
    assertTrue(socket.closesSoon(), "the server closed the socket within " + CLOSE_WITHIN_S + " s");
  }

  @Test
  @DisplayName("a single frame over bridge.maxMessageBytes closes its socket")
  void singleOversizeFrameCloses() {
    grid = TestGrid.start();
    RawSocket socket = RawSocket.open(grid);
    socket.ws().writeFrame(WebSocketFrame.textFrame(heartbeatFrame(17 * MIB, null), true));
    assertTrue(socket.closesSoon(), "the server closed the socket within " + CLOSE_WITHIN_S + " s");
  }

  @Test
  @DisplayName("a message just under the limit, in fragments, is delivered and answered; the socket stays open")
  void maximalMessageInFragmentsPasses() {
    grid = TestGrid.start();
    RawSocket socket = RawSocket.open(grid);
    Promise<JsonObject> answer = Promise.promise();
    // The bridge answers in binary frames of JSON text.
    socket.ws().binaryMessageHandler(data -> answer.tryComplete(new JsonObject(data)));
    String frame = heartbeatFrame(16 * MIB - 1024, "reply-1");
    socket.ws().writeFrame(WebSocketFrame.textFrame(frame.substring(0, 8 * MIB), false));
    socket.ws().writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(frame.substring(8 * MIB)), true));
    JsonObject reply = TestGrid.await(answer.future());
    assertEquals("reply-1", reply.getString("address"), reply.encode());
    assertEquals(404, reply.getInteger("failureCode"), "the heartbeat service answered: " + reply.encode());
    assertFalse(socket.ws().isClosed());
  }

  @Test
  @DisplayName("a worker answering inline chunks far faster than bridge.maxMessagesPerSecond keeps its socket: each chunk sent"
      + " to it pays for its answer, and every chunk is credited to it")
  void answersToChunksArePaidFor() throws Exception {
    // 600 results in about a second against a budget of 20 frames a second and a burst of 40.
    grid = TestGrid.start(Map.of("bridge.maxMessagesPerSecond", 20, "bridge.messageBurst", 40,
        "scheduler.inlineMaxBytes", 1024));
    brain.worker.HeadlessWorker worker = grid.worker(brain.worker.HeadlessWorker.Options.of("127.0.0.1", grid.port(), "quick",
        brain.worker.Engines.cpu(1)).withSlots(4).withReconnect(false));
    String session = worker.sessionId();
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":600,\"colsA\":16,\"colsB\":16,\"chunkRows\":1}");
      assertEquals("completed", watch.finished(id).getString("status"));
      assertEquals(session, worker.sessionId(), "the same session throughout: its socket was never closed");
      assertEquals(600, brain.testing.Credits.ofJob(grid, id).stream()
          .filter(c -> c.workerId().equals(worker.workerId())).count(), "every chunk credited to the one worker");
      grid.assertJobProduct(id, 600, 16, 16);
    }
  }

  @Test
  @DisplayName("a socket flooding 20,000 small frames is closed quickly, most frames refused, and the server stays responsive")
  void floodIsCutOff() {
    grid = TestGrid.start();
    AtomicInteger delivered = new AtomicInteger();
    grid.vertx().eventBus().addInboundInterceptor(dc -> {
      if (WORKER_HEARTBEAT.equals(dc.message().address())) {
        delivered.incrementAndGet();
      }
      dc.next();
    });
    RawSocket socket = RawSocket.open(grid);
    String frame = heartbeatFrame(120, null);
    long started = System.nanoTime();
    for (int i = 0; i < 20_000; i++) {
      socket.ws().writeTextMessage(frame);
    }
    assertTrue(socket.closesSoon(), "the flooding socket was closed within " + CLOSE_WITHIN_S + " s");
    long closedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    // The default budget: a burst of 1000 and 500/s; frames after the cut are refused unread.
    assertTrue(delivered.get() < 5_000, delivered.get() + " of 20,000 flood frames reached the service");

    long t0 = System.nanoTime();
    HttpResponse<String> health = grid.get("/api/health");
    long healthMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertEquals(200, health.statusCode());
    assertTrue(healthMs < 2000, "health answered in " + healthMs + " ms after the flood (closed after " + closedAfterMs + " ms)");
    // And a well-behaved socket is served as usual.
    ReplyException unknown = assertThrows(ReplyException.class, () -> TestGrid.awaitOrThrow(heartbeat(grid)));
    assertEquals(404, unknown.failureCode());
  }

  /** A heartbeat request for an unknown session on a fresh, well-behaved socket: answered 404 when served. */
  private static Future<JsonObject> heartbeat(TestGrid grid) {
    Promise<JsonObject> answer = Promise.promise();
    grid.vertx().getOrCreateContext().runOnContext(v -> brain.worker.BridgeClient.connect(grid.vertx(),
            grid.vertx().createWebSocketClient(), "127.0.0.1", grid.port(), false)
        .compose(client -> client.request(WORKER_HEARTBEAT, new JsonObject().put("sessionId", "s-unknown"))
            .onComplete(ar -> client.close()))
        .onComplete(answer));
    return answer.future();
  }

  @Test
  @DisplayName("sockets beyond bridge.maxSocketsPerAddress are refused; a freed place is taken again")
  void socketsPerAddressAreBounded() throws Throwable {
    grid = TestGrid.start(Map.of("bridge.maxSocketsPerAddress", 3));
    Promise<Void> oneClosed = Promise.promise();
    grid.vertx().eventBus().consumer(PEER_CLOSED, m -> oneClosed.tryComplete());
    RawSocket[] admitted = new RawSocket[3];
    for (int i = 0; i < 3; i++) {
      admitted[i] = RawSocket.open(grid);
    }
    RawSocket refused = RawSocket.open(grid);
    assertTrue(refused.closesSoon(), "the fourth socket from 127.0.0.1 was closed");
    for (RawSocket socket : admitted) {
      assertFalse(socket.ws().isClosed(), "the first three stay open");
    }
    TestGrid.await(admitted[0].ws().close());
    TestGrid.await(oneClosed.future());
    ReplyException served = assertThrows(ReplyException.class, () -> TestGrid.awaitOrThrow(heartbeat(grid)));
    assertEquals(404, served.failureCode(), "with a place free, a new socket is served");
  }

  @Test
  @DisplayName("messages reach the server stamped with the socket's remote host, whatever headers the client sent")
  void remoteHostIsStamped() {
    grid = TestGrid.start();
    Promise<io.vertx.core.MultiMap> headers = Promise.promise();
    grid.vertx().eventBus().addInboundInterceptor(dc -> {
      if (WORKER_HEARTBEAT.equals(dc.message().address())) {
        headers.tryComplete(dc.message().headers());
      }
      dc.next();
    });
    RawSocket socket = RawSocket.open(grid);
    socket.ws().writeTextMessage(new JsonObject().put("type", "send").put("address", WORKER_HEARTBEAT)
        .put("headers", new JsonObject().put(HEADER_REMOTE, "203.0.113.9").put(HEADER_PEER, "forged"))
        .put("body", new JsonObject().put("sessionId", "s-unknown")).encode());
    io.vertx.core.MultiMap stamped = TestGrid.await(headers.future());
    assertEquals("127.0.0.1", stamped.get(HEADER_REMOTE));
    assertNotEquals("forged", stamped.get(HEADER_PEER));
    assertEquals(22, stamped.get(HEADER_PEER).length(), "the bridge's own peer id");
  }
}

package brain.worker;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A peer of the Vert.x SockJS event-bus bridge over a plain WebSocket ({@code /eventbus/websocket}):
 * the frame protocol of docs/PROTOCOL.md §1. Used by the headless worker, the tests and the
 * benchmark. Not thread-safe: use it from the event loop it was created on.
 */
public final class BridgeClient {
  private static final long PING_EVERY_MS = 5000;
  private static final long REQUEST_TIMEOUT_MS = 30_000;

  private final Vertx vertx;
  private final WebSocket socket;
  private final Map<String, Handler<JsonObject>> handlers = new HashMap<>();
  private final Map<String, Promise<JsonObject>> pending = new HashMap<>();
  private final long pingTimer;
  private Handler<String> errorHandler = error -> {};
  private Handler<Void> closeHandler = v -> {};
  private long bytesIn;
  private long bytesOut;

  private BridgeClient(Vertx vertx, WebSocket socket) {
    this.vertx = vertx;
    this.socket = socket;
    socket.binaryMessageHandler(this::onFrame);
    socket.textMessageHandler(text -> onFrame(Buffer.buffer(text)));
    socket.closeHandler(v -> onClose());
    socket.exceptionHandler(err -> { });
    pingTimer = vertx.setPeriodic(PING_EVERY_MS, id -> write(new JsonObject().put("type", "ping")));
  }

  /** Connects to {@code /eventbus/websocket} of the server at host:port. */
  public static Future<BridgeClient> connect(Vertx vertx, WebSocketClient client, String host, int port, boolean tls) {
    return connect(vertx, client, host, port, tls, null);
  }

  /**
   * Connects signed in as a dashboard would be: with {@code sessionToken} in the session cookie
   * of the handshake (the job feeds reach only signed-in sockets). Null connects anonymously.
   */
  public static Future<BridgeClient> connect(Vertx vertx, WebSocketClient client, String host, int port, boolean tls,
      String sessionToken) {
    WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setHost(host).setPort(port).setSsl(tls).setURI("/eventbus/websocket");
    if (sessionToken != null) {
      options.addHeader("cookie", brain.auth.Tokens.COOKIE + "=" + sessionToken);
    }
    return client.connect(options).map(ws -> new BridgeClient(vertx, ws));
  }

  public void send(String address, JsonObject body) {
    write(new JsonObject().put("type", "send").put("address", address).put("body", body));
  }

  /** A request; fails with a {@link ReplyException} carrying the server's code and message. */
  public Future<JsonObject> request(String address, JsonObject body) {
    String replyAddress = UUID.randomUUID().toString();
    Promise<JsonObject> promise = Promise.promise();
    pending.put(replyAddress, promise);
    long timer = vertx.setTimer(REQUEST_TIMEOUT_MS, id -> {
      Promise<JsonObject> waiting = pending.remove(replyAddress);
      if (waiting != null) {
        waiting.fail(new ReplyException(ReplyFailure.TIMEOUT, "no reply on " + address));
      }
    });
    write(new JsonObject().put("type", "send").put("address", address).put("body", body)
        .put("replyAddress", replyAddress));
    return promise.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  public void register(String address, Handler<JsonObject> handler) {
    handlers.put(address, handler);
    write(new JsonObject().put("type", "register").put("address", address));
  }

  /** Drops the handler of {@code address} and tells the bridge (so that a later register is a fresh one). */
  public void unregister(String address) {
    handlers.remove(address);
    write(new JsonObject().put("type", "unregister").put("address", address));
  }

  /** Error frames that answer no request ("access_denied", "rejected", ...). */
  public void errorHandler(Handler<String> handler) {
    this.errorHandler = handler;
  }

  public void closeHandler(Handler<Void> handler) {
    this.closeHandler = handler;
  }

  public boolean isClosed() {
    return socket.isClosed();
  }

  public Future<Void> close() {
    return socket.close();
  }

  /** Bytes of frames received and sent on this socket. */
  public long bytesIn() {
    return bytesIn;
  }

  public long bytesOut() {
    return bytesOut;
  }

  /** Sends a raw frame; for tests of the bridge's defences. */
  public void write(JsonObject frame) {
    if (!socket.isClosed()) {
      String text = frame.encode();
      bytesOut += text.length();
      socket.writeTextMessage(text);
    }
  }

  private void onFrame(Buffer data) {
    bytesIn += data.length();
    JsonObject frame;
    try {
      frame = new JsonObject(data);
    } catch (DecodeException e) {
      return;
    }
    String type = frame.getString("type", "");
    String address = frame.getString("address");
    if (type.equals("rec")) {
      Promise<JsonObject> reply = address == null ? null : pending.remove(address);
      Object body = frame.getValue("body");
      JsonObject json = body instanceof JsonObject object ? object : new JsonObject().put("value", body);
      if (reply != null) {
        reply.complete(json);
      } else if (address != null && handlers.containsKey(address)) {
        handlers.get(address).handle(json);
      }
    } else if (type.equals("err")) {
      Promise<JsonObject> reply = address == null ? null : pending.remove(address);
      if (reply != null) {
        reply.fail(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, frame.getInteger("failureCode", -1),
            frame.getString("message")));
      } else {
        errorHandler.handle(String.valueOf(frame.getValue("body")));
      }
    }
  }

  private void onClose() {
    vertx.cancelTimer(pingTimer);
    pending.values().forEach(p -> p.tryFail(new ReplyException(ReplyFailure.NO_HANDLERS, "socket closed")));
    pending.clear();
    closeHandler.handle(null);
  }
}

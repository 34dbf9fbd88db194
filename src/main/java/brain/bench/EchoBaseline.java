package brain.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The yardstick for chunk throughput: a plain Vert.x WebSocket server echoing text messages,
 * {@code connections} clients each keeping {@code inFlight} messages of the chunk's size out,
 * as the grid keeps each worker's slots full. Answers round trips per second.
 */
final class EchoBaseline {
  private EchoBaseline() {}

  static double roundTripsPerSecond(int connections, int inFlight, long total, String message) {
    Vertx vertx = Vertx.vertx();
    try {
      HttpServer server = BenchGrid.await(vertx.createHttpServer()
          .webSocketHandler(ws -> ws.textMessageHandler(ws::writeTextMessage))
          .listen(0, "127.0.0.1"));
      WebSocketClient client = vertx.createWebSocketClient();
      List<WebSocket> sockets = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        sockets.add(BenchGrid.await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
            .setPort(server.actualPort()).setURI("/"))));
      }
      AtomicLong sent = new AtomicLong();
      AtomicLong answered = new AtomicLong();
      Promise<Void> done = Promise.promise();
      long start = System.nanoTime();
      for (WebSocket ws : sockets) {
        ws.textMessageHandler(echo -> {
          if (answered.incrementAndGet() == total) {
            done.tryComplete();
          } else if (sent.incrementAndGet() <= total) {
            ws.writeTextMessage(message);
          }
        });
        for (int i = 0; i < inFlight && sent.incrementAndGet() <= total; i++) {
          ws.writeTextMessage(message);
        }
      }
      BenchGrid.await(done.future());
      double seconds = (System.nanoTime() - start) / 1e9;
      BenchGrid.await(Future.all(sockets.stream().map(WebSocket::close).toList()));
      return total / seconds;
    } finally {
      BenchGrid.await(vertx.close());
    }
  }
}

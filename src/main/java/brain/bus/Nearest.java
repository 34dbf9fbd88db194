package brain.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * Requests to a service that every full node runs (job intake, health): this node's handler when
 * it has one, another node's only when it has none (an edge node). The clustered bus alone would
 * round-robin over all nodes' handlers, so a node paused with SIGSTOP (still a member until
 * Hazelcast gives up on it) would leave a share of every node's requests unanswered.
 */
public final class Nearest {
  private Nearest() {}

  public static <T> Future<Message<T>> request(Vertx vertx, String address, Object body, DeliveryOptions options) {
    return vertx.eventBus().<T>request(address, body, new DeliveryOptions(options).setLocalOnly(true))
        .recover(err -> err instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS
            ? vertx.eventBus().<T>request(address, body, options) : Future.failedFuture(err));
  }

  public static <T> Future<Message<T>> request(Vertx vertx, String address, Object body) {
    return request(vertx, address, body, new DeliveryOptions());
  }
}

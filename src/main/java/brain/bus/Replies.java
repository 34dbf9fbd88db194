package brain.bus;

import brain.model.ApiError;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;

/** Answers an event-bus request with a future's outcome; an {@link ApiError} keeps its status. */
public final class Replies {
  private static final System.Logger LOG = System.getLogger(Replies.class.getName());

  private Replies() {}

  public static <T> void replyWith(Message<?> request, Future<T> outcome) {
    outcome.onComplete(ar -> {
      if (ar.succeeded()) {
        request.reply(ar.result());
      } else {
        fail(request, ar.cause());
      }
    });
  }

  public static void fail(Message<?> request, Throwable cause) {
    if (cause instanceof ApiError error) {
      request.fail(error.status(), error.getMessage());
    } else if (cause instanceof ReplyException reply && reply.failureCode() >= 400) {
      request.fail(reply.failureCode(), reply.getMessage());
    } else {
      LOG.log(System.Logger.Level.ERROR, "request on " + request.address() + " failed", cause);
      request.fail(500, "internal error: " + cause.getMessage());
    }
  }
}

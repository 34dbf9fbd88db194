package brain.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A node's API requests that change something (every method but GET, HEAD and OPTIONS), on the
 * node's way down: once it stops, new ones are answered 503 at once ({@code Retry-After: 1}),
 * before any Idempotency-Key is claimed, and the ones under way are awaited before its HTTP
 * server closes. Without it a request cut by a clean stop left its key "in progress" in the
 * shared store for {@code IdempotencyStore.TAKE_OVER_AFTER_MS} (10 s), and its client, retrying
 * at another node, waited all that time (a rolling restart of three nodes had three clients
 * waiting at once). Shared by the node's HTTP instances: its counts are atomic.
 */
public final class Admission {
  private static final Set<HttpMethod> READS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicInteger underWay = new AtomicInteger();
  private final Promise<Void> settled = Promise.promise();

  /** The route handler, first on /api/*. */
  void handle(RoutingContext ctx) {
    if (READS.contains(ctx.request().method())) {
      ctx.next();
      return;
    }
    underWay.incrementAndGet(); // counted before the check, so that stop() cannot miss it
    if (stopping.get()) {
      done();
      ctx.response().putHeader("retry-after", "1");
      HttpReplies.error(ctx, 503, "this node is stopping: send the request to another node (with the same "
          + "Idempotency-Key, if it had one)");
      return;
    }
    ctx.addEndHandler(v -> done());
    ctx.next();
  }

  private void done() {
    if (underWay.decrementAndGet() == 0 && stopping.get()) {
      settled.tryComplete();
    }
  }

  /** Refuses what comes from now on; completes when what was under way has been answered, or after {@code boundMs}. */
  public Future<Void> stop(Vertx vertx, long boundMs) {
    stopping.set(true);
    if (underWay.get() == 0) {
      settled.tryComplete();
    }
    Promise<Void> bounded = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, boundMs), id -> bounded.tryComplete());
    settled.future().onComplete(ar -> {
      vertx.cancelTimer(timer);
      bounded.tryComplete();
    });
    return bounded.future();
  }

  /** API requests that change something, under way now. */
  public int underWay() {
    return underWay.get();
  }
}

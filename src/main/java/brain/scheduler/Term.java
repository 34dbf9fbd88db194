package brain.scheduler;

import brain.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import java.util.function.BooleanSupplier;

/**
 * One elected scheduler's term: its fencing number, the node it runs on, whether it may still
 * act (its lease has not run out by its own clock), and what happens when the database refuses a
 * write for its fence (it steps down). Every write of the scheduler goes through {@link #write}.
 */
record Term(long fence, String nodeId, BooleanSupplier active, Runnable stale) {

  boolean mayAct() {
    return active.getAsBoolean();
  }

  /** Delivery options carrying the fence. */
  DeliveryOptions fenced() {
    return new DeliveryOptions().addHeader(Addresses.HEADER_FENCE, String.valueOf(fence));
  }

  /** Watches a fenced write: a refusal for the fence ends this term. */
  <T> Future<T> write(Future<T> outcome) {
    return outcome.onFailure(err -> {
      if (err instanceof ReplyException reply && reply.failureCode() == Addresses.STALE_FENCE_CODE) {
        stale.run();
      }
    });
  }
}

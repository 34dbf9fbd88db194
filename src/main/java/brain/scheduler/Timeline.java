package brain.scheduler;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;

/**
 * What happened to a job, event by event: dispatches, results, rejections, losses, requeues.
 * Bounded: past {@code capacity} events only the count of dropped ones grows. Public: an event
 * names the worker by its display name and public label and the attempt by its number, never
 * by a session, lease or worker id (those let a socket act as the worker).
 */
final class Timeline {
  private final String jobId;
  private final int capacity;
  private final JsonArray events = new JsonArray();
  private final Consumer<JsonObject> listener;
  private long dropped;

  Timeline(String jobId, int capacity, Consumer<JsonObject> listener) {
    this.jobId = jobId;
    this.capacity = capacity;
    this.listener = listener;
  }

  /** Records an event; {@code lease} and {@code session} may be null. */
  void add(String type, Integer chunk, WorkerSession session, Lease lease, String detail) {
    JsonObject event = new JsonObject().put("jobId", jobId).put("t", System.currentTimeMillis()).put("type", type);
    if (chunk != null) {
      event.put("chunk", chunk);
    }
    if (session != null) {
      event.put("worker", session.name).put("label", session.label);
    }
    if (lease != null) {
      event.put("attempt", lease.number);
    }
    if (detail != null) {
      event.put("detail", detail);
    }
    if (events.size() < capacity) {
      events.add(event);
    } else {
      dropped++;
    }
    listener.accept(event); // shared, never changed after this point
  }

  JsonArray events() {
    return events;
  }

  long dropped() {
    return dropped;
  }
}

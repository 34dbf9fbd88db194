package brain.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;

import brain.bus.Addresses;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Reading job timelines: over HTTP (the stored or live list) and live from the timeline feed. */
public final class Timelines {
  private Timelines() {}

  /** GET /api/jobs/{id}/timeline: a JSON array of events, or an object holding them in "events". */
  public static List<JsonObject> of(TestGrid grid, String jobId) {
    String body = grid.get("/api/jobs/" + jobId + "/timeline").body().strip();
    JsonArray events = body.startsWith("[") ? new JsonArray(body) : new JsonObject(body).getJsonArray("events");
    return events.stream().map(JsonObject.class::cast).toList();
  }

  public static List<JsonObject> ofType(List<JsonObject> events, String type) {
    return events.stream().filter(e -> type.equals(e.getString("type"))).toList();
  }

  /** Events of {@code type} whose "label" is {@code label} (any label when null). */
  public static List<JsonObject> ofType(List<JsonObject> events, String type, String label) {
    return events.stream().filter(e -> type.equals(e.getString("type"))
        && (label == null || label.equals(e.getString("label")))).toList();
  }

  /** Timeline events are public: none may carry a lease's or a session's id. */
  /** How many chunks the job's "resumed" event took from its checkpoint (0 without one). */
  public static int resumedChunks(List<JsonObject> events) {
    return ofType(events, "resumed").stream().mapToInt(e -> Integer.parseInt(e.getString("detail").split(" ")[0])).sum();
  }

  public static void assertNoPrivateIds(List<JsonObject> events) {
    for (JsonObject event : events) {
      assertFalse(event.containsKey("assignmentId"), "timeline event carries an assignmentId: " + event.encode());
      assertFalse(event.containsKey("sessionId"), "timeline event carries a sessionId: " + event.encode());
    }
  }

  /** Short text of events for failure messages. */
  public static String describe(List<JsonObject> events) {
    StringBuilder out = new StringBuilder();
    for (JsonObject e : events) {
      out.append('\n').append(e.getString("type")).append(" chunk=").append(e.getValue("chunk"))
          .append(" label=").append(e.getString("label")).append(" worker=").append(e.getString("worker"))
          .append(" detail=").append(e.getString("detail"));
    }
    return out.toString();
  }

  /** The live timeline feed of one job, from now on, as a queue (blocking reads with a timeout, no sleeps). */
  public static Feed feed(TestGrid grid, String jobId) {
    return new Feed(grid, jobId);
  }

  /** See {@link #feed}. Subscribe before submitting, then {@link #follow} the job's id. */
  public static final class Feed implements AutoCloseable {
    private final MessageConsumer<JsonObject> consumer;
    private final LinkedBlockingQueue<JsonObject> queue = new LinkedBlockingQueue<>();
    private final java.util.List<JsonObject> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile String jobId;

    Feed(TestGrid grid, String jobId) {
      this.jobId = jobId;
      consumer = grid.vertx().eventBus().consumer(Addresses.UI_TIMELINE, m -> {
        for (Object e : m.body().getJsonArray("events")) {
          JsonObject event = (JsonObject) e;
          seen.add(event);
          queue.add(event);
        }
      });
      TestGrid.await(consumer.completion());
    }

    /** Restricts {@link #next} and {@link #awaitQuiet} to this job. */
    public Feed follow(String id) {
      this.jobId = id;
      return this;
    }

    /** The next event of the job that {@code matches}, or an AssertionError after {@code within}. */
    public JsonObject next(Predicate<JsonObject> matches, Duration within) {
      long deadline = System.nanoTime() + within.toNanos();
      for (JsonObject event : List.copyOf(seen)) {
        if (ours(event) && matches.test(event) && queue.remove(event)) {
          return event;
        }
      }
      try {
        while (true) {
          long left = deadline - System.nanoTime();
          JsonObject event = left <= 0 ? null : queue.poll(left, TimeUnit.NANOSECONDS);
          if (event == null) {
            throw new AssertionError("no matching timeline event of job " + jobId + " within " + within + "; seen:"
                + describe(seen.stream().filter(this::ours).toList()));
          }
          if (ours(event) && matches.test(event)) {
            return event;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    /**
     * Waits until the job has had no timeline event for {@code quiet} (the feed batches events
     * every 200 ms: use more). Fails when it is still busy after {@code within}: a job that loops.
     * Answers the job's events seen meanwhile.
     */
    public List<JsonObject> awaitQuiet(Duration quiet, Duration within) {
      long deadline = System.nanoTime() + within.toNanos();
      int count = 0;
      try {
        while (System.nanoTime() < deadline) {
          JsonObject event = queue.poll(quiet.toNanos(), TimeUnit.NANOSECONDS);
          if (event == null) {
            return seen.stream().filter(this::ours).toList();
          }
          if (ours(event)) {
            count++;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      throw new AssertionError("job " + jobId + " never went quiet for " + quiet + " within " + within + " (" + count
          + " events meanwhile): it loops");
    }

    /** Every event of the job seen on the feed so far. */
    public List<JsonObject> seen() {
      return seen.stream().filter(this::ours).toList();
    }

    private boolean ours(JsonObject event) {
      return jobId == null || jobId.equals(event.getString("jobId"));
    }

    @Override
    public void close() {
      consumer.unregister();
    }
  }
}

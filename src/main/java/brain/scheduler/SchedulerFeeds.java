package brain.scheduler;

import static java.lang.System.Logger.Level.WARNING;

import brain.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the scheduler tells the rest of the world: job rows to the database, job changes and
 * timeline events to the dashboards (batched and throttled, so thousands of chunks a second
 * do not become thousands of messages), credits for verified work, and each worker's standing.
 * Confined to the scheduler's thread.
 */
final class SchedulerFeeds {
  private static final System.Logger LOG = System.getLogger(SchedulerFeeds.class.getName());
  private static final long PROGRESS_EVERY_NANOS = 100_000_000L;

  private final Vertx vertx;
  private final Supplier<Collection<WorkerSession>> sessions;
  private final JoinLedger joins = new JoinLedger();
  private final Map<String, Long> lastProgress = new HashMap<>();
  /** Timeline events since the last flush, per job, with who submitted it: the bridge shows a job's only to them. */
  private Map<String, JsonObject> timelineBatch = new java.util.LinkedHashMap<>();

  private final Term term;

  SchedulerFeeds(Vertx vertx, Supplier<Collection<WorkerSession>> sessions, Term term) {
    this.vertx = vertx;
    this.term = term;
    this.sessions = sessions;
  }

  /** Updates the job's row with the fields {@code changes} holds (fenced: only while this term holds the lease). */
  Future<Void> persist(JsonObject changes) {
    return term.write(vertx.eventBus().request(Addresses.DB_JOB_UPDATE, changes, term.fenced()))
        .onFailure(err -> LOG.log(WARNING, "could not store job " + changes.getString("id") + ": " + err.getMessage()))
        .<Void>mapEmpty();
  }

  void changed(RunningJob job) {
    vertx.eventBus().publish(Addresses.UI_JOBS, job.view());
  }

  /** A job's final view, once stored. */
  void ended(JsonObject finalView) {
    lastProgress.remove(finalView.getString("id"));
    vertx.eventBus().publish(Addresses.UI_JOBS, finalView);
  }

  /** Progress is published at most ten times a second per job. */
  void progressed(RunningJob job) {
    long now = System.nanoTime();
    Long last = lastProgress.get(job.id);
    if (last == null || now - last >= PROGRESS_EVERY_NANOS) {
      lastProgress.put(job.id, now);
      changed(job);
    }
  }

  /** Timeline events wait here for the next {@link #flushTimeline}. */
  void timelineEvent(String submittedBy, JsonObject event) {
    timelineBatch.computeIfAbsent(event.getString("jobId"), id -> new JsonObject().put("jobId", id)
        .put("submittedBy", submittedBy).put("events", new JsonArray())).getJsonArray("events").add(event);
  }

  /** One message per job with events: {jobId, submittedBy, events}. */
  void flushTimeline() {
    if (!timelineBatch.isEmpty()) {
      timelineBatch.values().forEach(batch -> vertx.eventBus().publish(Addresses.UI_TIMELINE, batch));
      timelineBatch = new java.util.LinkedHashMap<>();
    }
  }

  void joined(WorkerSession session) {
    joins.joined(session);
  }

  /** Writes the sessions joined since the last flush. */
  Future<Void> flushJoins() {
    if (joins.isEmpty()) {
      return Future.succeededFuture();
    }
    return vertx.eventBus().request(Addresses.DB_LEADERBOARD_JOINED, joins.drain())
        .onFailure(err -> LOG.log(WARNING, "could not count joined sessions: " + err.getMessage()))
        .<Void>mapEmpty().otherwiseEmpty();
  }

  /**
   * Credits a job whose product passed its final check: every chunk once, to the worker whose
   * result was accepted for it. Then tells those workers their standing.
   */
  Future<Void> grantCredits(String jobId, JsonArray chunks, java.util.function.ToIntFunction<String> sessionsJoined) {
    if (chunks.isEmpty()) {
      return Future.succeededFuture();
    }
    // A worker's first credit makes its row: it counts the sessions it joined so far.
    chunks.forEach(c -> ((JsonObject) c).put("sessions", sessionsJoined.applyAsInt(((JsonObject) c).getString("workerId"))));
    return term.write(vertx.eventBus().request(Addresses.DB_CREDITS_GRANT,
            new JsonObject().put("jobId", jobId).put("chunks", chunks), term.fenced()))
        .onSuccess(granted -> {
          JsonArray ids = new JsonArray();
          chunks.forEach(c -> {
            String id = ((JsonObject) c).getString("workerId");
            if (!ids.contains(id)) {
              ids.add(id);
            }
          });
          sendStandings(ids);
        })
        .onFailure(err -> LOG.log(WARNING, "could not credit job " + jobId + ": " + err.getMessage()))
        .<Void>mapEmpty().otherwiseEmpty();
  }

  private void sendStandings(JsonArray ids) {
    vertx.eventBus().<JsonObject>request(Addresses.DB_LEADERBOARD_STANDING, new JsonObject().put("workerIds", ids))
        .onSuccess(reply -> {
          JsonObject standing = reply.body();
          for (WorkerSession session : sessions.get()) {
            JsonObject mine = standing.getJsonObject(session.workerId);
            if (mine != null && session.listening) {
              vertx.eventBus().send(session.address(), WorkerMessages.stats(mine));
            }
          }
        });
  }
}

package brain.intake;

import static brain.bus.Addresses.*;

import brain.bus.Replies;
import brain.config.BrainConfig;
import brain.model.ApiError;
import brain.model.JobSpec;
import brain.model.JobStatus;
import brain.model.Times;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Job intake: validates a submission, draws a seed when none is given, stores the job as
 * queued, and only then hands it to scheduling. A 202 therefore always means "stored": a job
 * accepted is never lost, even if the server stops right after.
 */
public final class JobIntakeVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(JobIntakeVerticle.class.getName());

  private final SecureRandom random = new SecureRandom();
  private JobSpec.Limits limits;

  @Override
  public Future<?> start() {
    BrainConfig.Reader conf = new BrainConfig.Reader(config());
    limits = new JobSpec.Limits(conf.integer("limits.maxDimension"), conf.longValue("limits.maxElements"),
        conf.longValue("scheduler.maxChunkBytes"), conf.longValue("verify.fullMaxOps"));
    return Future.all(
        vertx.eventBus().consumer(JOBS_SUBMIT, this::submit).completion(),
        vertx.eventBus().consumer(JOBS_REPLAY, this::replay).completion());
  }

  private void submit(Message<Object> message) {
    try {
      JsonObject body = message.body() instanceof JsonObject json ? json : null;
      Replies.replyWith(message, accept(JobSpec.parse(body, limits, random), null));
    } catch (ApiError e) {
      Replies.fail(message, e);
    }
  }

  /** {id}: a new job with the stored spec (seed included) of an earlier one. */
  private void replay(Message<JsonObject> message) {
    String original = message.body().getString("id");
    Future<JsonObject> replayed = vertx.eventBus()
        .<JsonObject>request(DB_JOB_GET, new JsonObject().put("id", original).put("part", "spec"))
        .compose(spec -> accept(JobSpec.fromStored(spec.body()), original));
    Replies.replyWith(message, replayed);
  }

  private Future<JsonObject> accept(JobSpec spec, String replayOf) {
    String id = UUID.randomUUID().toString();
    JsonObject view = spec.toJson()
        .put("id", id)
        .put("status", JobStatus.QUEUED.wire())
        .put("createdAt", Times.now())
        .put("replayOf", replayOf);
    JsonObject job = new JsonObject().put("view", view).put("spec", spec.toJson());
    return vertx.eventBus().request(DB_JOB_INSERT, job)
        .recover(err -> Future.failedFuture(new ApiError(503, "the job could not be stored: " + err.getMessage())))
        .compose(stored -> vertx.eventBus().request(JOBS_ENQUEUE, job).<Object>map(m -> m.body())
            .recover(err -> forget(id, err)))
        .map(enqueued -> {
          LOG.log(System.Logger.Level.INFO, "job " + id + " accepted: " + spec.rowsA() + "x" + spec.colsA() + " · "
              + spec.colsA() + "x" + spec.colsB() + ", seed " + spec.seed());
          return new JsonObject().put("id", id).put("status", JobStatus.QUEUED.wire()).put("seed", spec.seed());
        });
  }

  /** The scheduler refused the job (queue full): it was never accepted, so its row goes. */
  private Future<Object> forget(String id, Throwable refusal) {
    return vertx.eventBus().request(DB_JOB_DELETE, new JsonObject().put("id", id))
        .transform(ignored -> Future.failedFuture(refusal));
  }
}

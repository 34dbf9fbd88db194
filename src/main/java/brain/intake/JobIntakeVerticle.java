package brain.intake;

import static brain.bus.Addresses.*;

import brain.auth.Quotas;
import brain.bus.Replies;
import brain.config.BrainConfig;
import brain.model.ApiError;
import brain.model.JobSpec;
import brain.model.JobStatus;
import brain.model.Times;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
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
  /**
   * A scheduler whose node just died or is stopping must not hold a submission up: past this the
   * job, already stored, is answered as accepted and the next scheduler adopts it. A live
   * scheduler answers an enqueue from memory in well under this.
   */
  private static final io.vertx.core.eventbus.DeliveryOptions ENQUEUE_WITHIN =
      new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(2000);
  private JobSpec.Limits limits;
  /** scheduler.minMemoryBytes: the smallest budget blocks are cut for. */
  private long minMemoryBytes;

  @Override
  public Future<?> start() {
    BrainConfig.Reader conf = new BrainConfig.Reader(config());
    minMemoryBytes = conf.longValue("scheduler.minMemoryBytes");
    limits = new JobSpec.Limits(conf.integer("limits.maxDimension"), conf.longValue("limits.maxElements"),
        conf.longValue("scheduler.maxChunkBytes"), conf.longValue("verify.fullMaxOps"));
    return Future.all(
        vertx.eventBus().consumer(JOBS_SUBMIT, this::submit).completion(),
        vertx.eventBus().consumer(JOBS_REPLAY, this::replay).completion());
  }

  /** The spec's fields, and {submittedBy, quotas} that the API sets (quotas null for an admin). */
  private void submit(Message<Object> message) {
    try {
      JsonObject body = message.body() instanceof JsonObject json ? json.copy() : null;
      Submitter submitter = Submitter.take(body);
      // Set by the API for a request with an Idempotency-Key: {caller, key, attempt}.
      JsonObject key = body == null || !(body.remove("idempotency") instanceof JsonObject k) ? null : k;
      if (JobSpec.namesMatrices(body)) {
        String[] ids = JobSpec.matrixIds(body);
        Replies.replyWith(message, withMatrices(body, ids[0], ids[1], submitter)
            .compose(spec -> accept(spec, null, submitter, key)));
        return;
      }
      Replies.replyWith(message, accept(JobSpec.parse(body, limits, random), null, submitter, key));
    } catch (ApiError e) {
      Replies.fail(message, e);
    }
  }

  /** {id, submittedBy, quotas}: a new job with the stored spec (seed included) of an earlier one. */
  private void replay(Message<JsonObject> message) {
    JsonObject body = message.body().copy();
    String original = body.getString("id");
    Submitter submitter = Submitter.take(body);
    Future<JsonObject> replayed = vertx.eventBus()
        .<JsonObject>request(DB_JOB_GET, new JsonObject().put("id", original).put("part", "spec"))
        .compose(spec -> {
          JobSpec stored = JobSpec.fromStored(spec.body());
          // The replayer must still have the matrices (they may have been deleted since).
          return (stored.fromMatrices() ? withMatrices(stored.toJson(), stored.a(), stored.b(), submitter)
              .map(checked -> stored) : Future.succeededFuture(stored));
        })
        .compose(spec -> accept(spec, original, submitter, null));
    Replies.replyWith(message, replayed);
  }

  /**
   * A job of uploaded matrices: both must exist and be the submitter's (an admin's: any), 404
   * naming the id otherwise; cols(A) must equal rows(B), 422 naming both shapes otherwise. The
   * dimensions are the matrices'; verify and chunkRows come from the submission.
   */
  private Future<JobSpec> withMatrices(JsonObject body, String a, String b, Submitter submitter) {
    String owner = submitter.admin() ? null : submitter.name();
    Future<JsonObject> matrixA = matrix(a, owner);
    Future<JsonObject> matrixB = matrix(b, owner);
    return Future.all(matrixA, matrixB).compose(both -> {
      JsonObject ma = matrixA.result();
      JsonObject mb = matrixB.result();
      if (!ma.getInteger("cols").equals(mb.getInteger("rows"))) {
        return Future.failedFuture(new ApiError(422, "the shapes do not agree: A (" + a + ") is " + ma.getInteger("rows")
            + "×" + ma.getInteger("cols") + " and B (" + b + ") is " + mb.getInteger("rows") + "×" + mb.getInteger("cols")
            + "; A·B needs cols(A) = rows(B)"));
      }
      try {
        JsonObject options = new JsonObject();
        if (body.containsKey("verify")) {
          options.put("verify", body.getValue("verify"));
        }
        if (body.containsKey("chunkRows")) {
          options.put("chunkRows", body.getValue("chunkRows"));
        }
        return Future.succeededFuture(JobSpec.parseWithMatrices(options, a, ma.getInteger("rows"),
            ma.getInteger("cols"), b, mb.getInteger("cols"), limits, random));
      } catch (ApiError e) {
        return Future.failedFuture(e);
      }
    });
  }

  private Future<JsonObject> matrix(String id, String owner) {
    return vertx.eventBus().<JsonObject>request(DB_MATRIX_GET, new JsonObject().put("id", id).put("owner", owner))
        .map(m -> m.body());
  }

  /**
   * Who submits and the quotas the job is held to: the job's size here, its submitter's active
   * jobs and stored bytes by the database, in the insert's own transaction (so a burst of
   * parallel submissions cannot overshoot).
   */
  private record Submitter(String name, Quotas quotas, boolean admin, String node) {
    /** {@code node}: the node whose API took the request ({@code acceptedBy}, set by the API). */
    static Submitter take(JsonObject body) {
      if (body == null) {
        return new Submitter(null, null, false, null);
      }
      Object name = body.remove("submittedBy");
      Object quotas = body.remove("quotas");
      Object admin = body.remove("submitterIsAdmin");
      Object node = body.remove("acceptedBy");
      return new Submitter(name instanceof String s ? s : null,
          quotas instanceof JsonObject q ? Quotas.fromJson(q) : null, Boolean.TRUE.equals(admin),
          node instanceof String n ? n : null);
    }

    /** The insert's quota check, or null when there is none (an admin). */
    JsonObject insertCheck(JobSpec spec) {
      if (quotas == null) {
        return null;
      }
      long elements = (long) spec.rowsA() * spec.colsA() + (long) spec.colsA() * spec.colsB()
          + (long) spec.rowsA() * spec.colsB();
      if (elements > quotas.maxElementsPerJob()) {
        throw Quotas.elementsRefusal(elements, quotas.maxElementsPerJob());
      }
      return new JsonObject().put(Quotas.ACTIVE_JOBS, quotas.maxActiveJobs()).put(Quotas.STORED_BYTES,
          quotas.maxStoredBytes()).put("resultBytes", (long) spec.rowsA() * spec.colsB() * Float.BYTES);
    }
  }

  /** {@code idempotency}: the key this submission holds ({caller, key, attempt}), or null. */
  private Future<JsonObject> accept(JobSpec spec, String replayOf, Submitter submitter, JsonObject idempotency) {
    JsonObject quota;
    try {
      if (brain.model.ChunkPlan.chunkMemoryBytes(1, spec.colsA(), 1) > minMemoryBytes) {
        // Not even one row of A and one column of B fit the budget blocks are cut for: it would never run.
        throw new ApiError(422, "cols(A) = " + spec.colsA() + " is too long for any worker: one row of A and one column"
            + " of B need " + brain.model.ChunkPlan.chunkMemoryBytes(1, spec.colsA(), 1) + " bytes, more than"
            + " scheduler.minMemoryBytes (" + minMemoryBytes + ")");
      }
      quota = submitter.insertCheck(spec);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    String id = UUID.randomUUID().toString();
    JsonObject view = spec.toJson()
        .put("id", id)
        .put("status", JobStatus.QUEUED.wire())
        .put("createdAt", Times.now())
        .put("replayOf", replayOf)
        .put("submittedBy", submitter.name())
        .put("acceptedBy", submitter.node());
    JsonObject job = new JsonObject().put("view", view).put("spec", spec.toJson());
    JsonObject insert = quota == null && idempotency == null ? job
        : job.copy().put("quota", quota).put("idempotency", idempotency);
    return vertx.eventBus().request(DB_JOB_INSERT, insert)
        .recover(err -> Future.failedFuture(err instanceof ReplyException reply
            && (reply.failureCode() == 429 || reply.failureCode() == 409) ? err
            : new ApiError(503, "the job could not be stored: " + err.getMessage())))
        .compose(stored -> vertx.eventBus().request(JOBS_ENQUEUE, job, ENQUEUE_WITHIN).<Object>map(m -> m.body())
            .recover(err -> noScheduler(err) ? Future.succeededFuture(null) : forget(id, err)))
        .map(enqueued -> {
          LOG.log(System.Logger.Level.INFO, "job " + id + " of '" + submitter.name() + "' accepted: " + spec.rowsA() + "x" + spec.colsA() + " · "
              + spec.colsA() + "x" + spec.colsB() + ", seed " + spec.seed());
          return new JsonObject().put("id", id).put("status", JobStatus.QUEUED.wire()).put("seed", spec.seed());
        });
  }

  /**
   * No scheduler answered (one is being elected, or its node just died): the job is stored as
   * queued, and the next scheduler takes it over from the database when it is elected.
   */
  private static boolean noScheduler(Throwable err) {
    return err instanceof ReplyException reply && reply.failureType() != io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE;
  }

  /** The scheduler refused the job (queue full): it was never accepted, so its row goes. */
  private Future<Object> forget(String id, Throwable refusal) {
    return vertx.eventBus().request(DB_JOB_DELETE, new JsonObject().put("id", id))
        .transform(ignored -> Future.failedFuture(refusal));
  }
}

package brain.http;

import static brain.bus.Addresses.*;

import brain.model.ApiError;
import brain.model.InputGenerator;
import brain.model.JobStatus;
import brain.model.Matrix;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;

/** The jobs part of REST contract v1 (docs in README): each handler asks the owning verticle over the bus. */
final class JobsApi {
  private final Vertx vertx;
  private final int maxJsonValues;
  private final java.nio.file.Path storageDir;
  private final Idempotency idempotency;

  JobsApi(Vertx vertx, int maxJsonValues, java.nio.file.Path storageDir) {
    this.vertx = vertx;
    this.idempotency = new Idempotency(vertx);
    this.maxJsonValues = maxJsonValues;
    this.storageDir = storageDir;
  }

  void mount(ApiRoutes router, long maxBodyBytes) {
    router.post("/api/jobs").handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes)).handler(this::submit);
    router.get("/api/jobs").handler(this::list);
    router.get("/api/jobs/:id").handler(this::view);
    router.delete("/api/jobs/:id").handler(this::cancel);
    router.get("/api/jobs/:id/result").handler(this::result);
    router.get("/api/jobs/:id/result/preview").handler(this::preview);
    router.get("/api/jobs/:id/inputs/:matrix").handler(this::input);
    router.get("/api/jobs/:id/timeline").handler(this::timeline);
    router.post("/api/jobs/:id/replay").handler(this::replay);
  }

  /** The document has checked that the body is a JSON object; intake checks its fields (JobSpec). */
  private void submit(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    if (body.containsKey("idempotency")) {
      throw ApiError.badRequest("unknown field 'idempotency'; an idempotency key goes in the Idempotency-Key header");
    }
    Caller caller = Caller.of(ctx);
    String key = Idempotency.key(ctx);
    if (key == null) {
      accepted(ctx, nearest(JOBS_SUBMIT, submitter(body, caller)));
      return;
    }
    // The same key and body again: the first answer (202, same job), whether or not that one is still running.
    idempotency.claim(caller, key, Idempotency.fingerprint("POST", "/api/jobs", ctx.body().asString()))
        .compose(claim -> {
          if (claim.replay() != null) {
            return Future.succeededFuture(claim.replay());
          }
          if (claim.resourceId() != null) {
            // The first request stored its job but not its answer (its server stopped): the job, as first answered.
            return stored(claim.resourceId()).map(view -> new Idempotency.Answer(202, withLinks(new JsonObject()
                .put("id", view.getString("id")).put("status", view.getString("status"))
                .put("seed", view.getLong("seed"))), true));
          }
          return idempotency.run(claim.held(), held -> this.<JsonObject>nearest(JOBS_SUBMIT,
              submitter(body.put("idempotency", held), caller)).map(job -> Idempotency.Answer.of(202, withLinks(job))));
        })
        .onSuccess(answer -> answer.send(ctx, "/api/jobs"))
        .onFailure(err -> HttpReplies.failure(ctx, err));
  }

  /** A replay is a new job of whoever replays it (and counts against that caller's quotas). */
  private void replay(RoutingContext ctx) {
    String id = jobId(ctx);
    Caller caller = Caller.of(ctx);
    accepted(ctx, owner(id, caller).compose(owner -> nearest(JOBS_REPLAY, submitter(new JsonObject().put("id", id), caller))));
  }

  /**
   * Who submits, for intake: the caller's name (recorded as submittedBy) and quotas (null for an
   * admin). Set here, over anything the client put in those fields.
   */
  private JsonObject submitter(JsonObject body, Caller caller) {
    return body.put("submittedBy", caller.name()).put("quotas", caller.admin() ? null : caller.quotas())
        .put("submitterIsAdmin", caller.admin()).put("acceptedBy", brain.cluster.NodeId.of(vertx));
  }

  private void accepted(RoutingContext ctx, Future<JsonObject> job) {
    job.onSuccess(created -> {
      ctx.response().putHeader("location", "/api/jobs/" + created.getString("id"));
      HttpReplies.json(ctx, 202, withLinks(created));
    }).onFailure(err -> HttpReplies.failure(ctx, err));
  }

  private static JsonObject withLinks(JsonObject created) {
    return created.put("links", new JsonObject().put("self", "/api/jobs/" + created.getString("id")));
  }

  private void list(RoutingContext ctx) {
    int limit = HttpReplies.intParam(ctx, "limit", 20);
    int offset = HttpReplies.intParam(ctx, "offset", 0);
    // A requestor's history is its own jobs only (filtered in SQL, so the total is its own too);
    // an admin sees all, or one submitter's with ?submittedBy=.
    Caller caller = Caller.of(ctx);
    String submittedBy = caller.admin() ? ctx.request().getParam("submittedBy") : caller.name();
    Future<JsonObject> page = this.<JsonObject>request(DB_JOB_LIST, new JsonObject().put("limit", limit)
        .put("offset", offset).put("submittedBy", submittedBy)).compose(this::withLiveViews);
    HttpReplies.reply(ctx, 200, page);
  }

  /** Stored rows of unfinished jobs lag behind; the scheduler's live view replaces them. */
  private Future<JsonObject> withLiveViews(JsonObject page) {
    JsonArray jobs = page.getJsonArray("jobs");
    List<Future<JsonObject>> views = new ArrayList<>();
    for (int i = 0; i < jobs.size(); i++) {
      JsonObject stored = jobs.getJsonObject(i);
      boolean active = !JobStatus.fromWire(stored.getString("status")).finished();
      views.add(active ? liveView(stored.getString("id")).map(live -> withStored(live, stored))
          .otherwise(stored) : Future.succeededFuture(stored));
    }
    return Future.all(views).map(all -> page.put("jobs", new JsonArray(all.list())));
  }

  private void view(RoutingContext ctx) {
    HttpReplies.reply(ctx, 200, findView(jobId(ctx), Caller.of(ctx)));
  }

  private void cancel(RoutingContext ctx) {
    String id = jobId(ctx);
    Future<JsonObject> cancelled = owner(id, Caller.of(ctx)).compose(owner -> this.<JsonObject>askScheduler(JOBS_CANCEL,
        new JsonObject().put("id", id)).recover(err -> noScheduler(err)
        ? Future.failedFuture(ApiError.noScheduler())
        : notHeld(err) ? stored(id).compose(view -> Future.<JsonObject>failedFuture(ApiError.conflict(
            "job " + id + " is already " + view.getString("status") + "; only queued or running jobs can be cancelled")))
        : Future.failedFuture(err)));
    HttpReplies.reply(ctx, 200, cancelled);
  }

  /** A result file is streamed (raw, .npy) or loaded on a worker thread (JSON); a blob from before schema 5 is sent as is. */
  private void result(RoutingContext ctx) {
    String id = jobId(ctx);
    String fileName = "job-" + id + "-C.f32";
    storedResult(id, Caller.of(ctx)).onSuccess(stored -> {
      if (stored instanceof JsonObject file) {
        MatrixResponses.sendFile(ctx, file.getInteger("rows"), file.getInteger("cols"),
            java.nio.file.Path.of(file.getString("file")), fileName, maxJsonValues,
            "the result file of job " + id + " is missing from the storage directory");
      } else {
        MatrixResponses.send(ctx, (Matrix) stored, fileName, maxJsonValues);
      }
    }).onFailure(err -> HttpReplies.failure(ctx, err));
  }

  /** A downsampled picture of C for heatmaps: {@code ?size=} cells a side (8-256, default 64). */
  private void preview(RoutingContext ctx) {
    String id = jobId(ctx);
    int size = HttpReplies.intParam(ctx, "size", 64);
    HttpReplies.reply(ctx, 200, storedResult(id, Caller.of(ctx))
        .compose(stored -> vertx.executeBlocking(() -> MatrixResponses.preview(loaded(stored), size), false)));
  }

  /** Blocking: the result as a Matrix (a file is loaded). */
  private static Matrix loaded(Object stored) {
    if (stored instanceof JsonObject file) {
      java.nio.file.Path path = java.nio.file.Path.of(file.getString("file"));
      if (!java.nio.file.Files.exists(path)) {
        throw new ApiError(410, "the result file is missing from the storage directory");
      }
      return brain.matrix.MatrixFiles.load(path, file.getInteger("rows"), file.getInteger("cols"));
    }
    return (Matrix) stored;
  }

  /** {rows, cols, file} for a result file, or the Matrix of a blob from before schema 5. */
  private Future<Object> storedResult(String id, Caller caller) {
    return findView(id, caller).compose(view -> {
      if (!JobStatus.COMPLETED.wire().equals(view.getString("status"))) {
        return Future.failedFuture(ApiError.conflict("job " + id + " is " + view.getString("status") + " ("
            + view.getInteger("chunksDone") + " of " + view.getInteger("chunksTotal")
            + " chunks done); its result is available once it is completed"));
      }
      return this.<Object>request(DB_RESULT_GET, new JsonObject().put("id", id));
    });
  }

  private void input(RoutingContext ctx) {
    String id = jobId(ctx);
    String which = ctx.pathParam("matrix");
    String fileName = "job-" + id + "-" + which.toUpperCase() + ".f32";
    // A job of uploaded matrices: its inputs are those files, streamed.
    Future<JsonObject> spec = owner(id, Caller.of(ctx))
        .compose(owner -> request(DB_JOB_GET, new JsonObject().put("id", id).put("part", "spec")));
    spec.onFailure(err -> HttpReplies.failure(ctx, err)).onSuccess(stored -> {
      String matrixId = stored.getString(which);
      if (matrixId == null) {
        generatedInput(ctx, id, which, fileName);
        return;
      }
      int rows = which.equals("a") ? stored.getInteger("rowsA") : stored.getInteger("colsA");
      int cols = which.equals("a") ? stored.getInteger("colsA") : stored.getInteger("colsB");
      MatrixResponses.sendFile(ctx, rows, cols, MatricesApi.fileOf(storageDir, matrixId), fileName, maxJsonValues,
          "input " + which + " of job " + id + " was the uploaded matrix " + matrixId + ", which has been deleted since");
    });
  }

  /**
   * A generated input is materialised once per job, as {@code <storage.dir>/inputs/<jobId>-a.f32}
   * (or {@code -b}): by the scheduler when the job starts (workers fetch it from there), else
   * here, on a worker thread (a job that never started); then streamed like any stored matrix. Concurrent first
   * downloads (on any HTTP instance of this server) share one write: {@link #MATERIALISING}.
   */
  private void generatedInput(RoutingContext ctx, String id, String which, String fileName) {
    findView(id, Caller.of(ctx)).compose(view -> {
      int rows = which.equals("a") ? view.getInteger("rowsA") : view.getInteger("colsA");
      int cols = which.equals("a") ? view.getInteger("colsA") : view.getInteger("colsB");
      return materialised(id, which, view.getLong("seed"), view.getInteger("rowsA"), view.getInteger("colsA"),
          view.getInteger("colsB")).map(file -> new Object[] {file, rows, cols});
    }).onSuccess(found -> MatrixResponses.sendFile(ctx, (Integer) found[1], (Integer) found[2],
            (java.nio.file.Path) found[0], fileName, maxJsonValues, "input " + which + " of job " + id + " is gone"))
        .onFailure(err -> HttpReplies.failure(ctx, err));
  }

  /** Writes in progress, by file, shared by the HTTP instances of this JVM; an entry leaves once its file is in place. */
  private static final java.util.concurrent.ConcurrentHashMap<java.nio.file.Path,
      java.util.concurrent.CompletableFuture<java.nio.file.Path>> MATERIALISING = new java.util.concurrent.ConcurrentHashMap<>();
  /** How many generated inputs were written (tests check that a file is written once). */
  static final java.util.concurrent.atomic.AtomicLong MATERIALISED = new java.util.concurrent.atomic.AtomicLong();

  private Future<java.nio.file.Path> materialised(String id, String which, long seed, int rowsA, int colsA, int colsB) {
    java.nio.file.Path file = brain.persistence.ResultFiles.inputFile(storageDir, id, which);
    java.util.concurrent.CompletableFuture<java.nio.file.Path> mine = new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.CompletableFuture<java.nio.file.Path> shared = MATERIALISING.putIfAbsent(file, mine);
    if (shared == null) {
      shared = mine;
      vertx.executeBlocking(() -> {
        if (!java.nio.file.Files.exists(file)) {
          Matrix m = which.equals("a") ? InputGenerator.a(seed, rowsA, colsA) : InputGenerator.b(seed, colsA, colsB);
          brain.matrix.MatrixFiles.writeRaw(m, file);
          MATERIALISED.incrementAndGet();
        }
        return file;
      }, false).onComplete(ar -> {
        MATERIALISING.remove(file, mine);
        if (ar.succeeded()) {
          mine.complete(ar.result());
        } else {
          mine.completeExceptionally(ar.cause());
        }
      });
    }
    // Back on this request's own context, whichever instance did the write.
    return Future.fromCompletionStage(shared, vertx.getOrCreateContext());
  }

  private void timeline(RoutingContext ctx) {
    String id = jobId(ctx);
    Future<JsonArray> events = owner(id, Caller.of(ctx))
        .compose(owner -> this.<JsonArray>askScheduler(JOBS_TIMELINE, new JsonObject().put("id", id))
            .recover(err -> notHeld(err) ? request(DB_JOB_GET, new JsonObject().put("id", id).put("part", "timeline"))
                : Future.failedFuture(err)));
    HttpReplies.reply(ctx, 200, events.map(list -> new JsonObject().put("jobId", id).put("events", list)));
  }

  /**
   * The live view while the scheduler holds the job, else the stored one; a job the caller may
   * not see answers the 404 of an unknown id.
   */
  private Future<JsonObject> findView(String id, Caller caller) {
    return ownerRow(id, caller).compose(row -> liveView(id).map(live -> withStored(live, row))
        .recover(err -> notHeld(err) ? stored(id) : Future.failedFuture(err)));
  }

  /**
   * Who submitted job {@code id} (null for jobs from before tokens), from its row: every job is
   * stored before its 202, so the row is the one authority, whether the scheduler holds the job
   * or not. Fails with 404 if there is no such job or the caller may not see it.
   */
  private Future<String> owner(String id, Caller caller) {
    return ownerRow(id, caller).map(row -> row.getString("submittedBy"));
  }

  /** {submittedBy, acceptedBy} of job {@code id}, from its row; 404 as {@link #owner}. */
  private Future<JsonObject> ownerRow(String id, Caller caller) {
    return this.<JsonObject>request(DB_JOB_GET, new JsonObject().put("id", id).put("part", "owner")).map(row -> {
      caller.mustSee(id, row.getString("submittedBy"));
      return row;
    });
  }

  /** The live view with what only the row knows: who submitted the job, and which node accepted it. */
  private static JsonObject withStored(JsonObject view, JsonObject row) {
    if (!view.containsKey("submittedBy")) {
      view.put("submittedBy", row.getString("submittedBy"));
    }
    return view.containsKey("acceptedBy") ? view : view.put("acceptedBy", row.getString("acceptedBy"));
  }

  /** The message of an unknown job's 404, shared by jobs a caller may not see (the shapes must not differ). */
  static String noSuchJob(String id) {
    return "no job with id " + id;
  }

  private Future<JsonObject> liveView(String id) {
    return askScheduler(JOBS_VIEW, new JsonObject().put("id", id));
  }

  private Future<JsonObject> stored(String id) {
    return request(DB_JOB_GET, new JsonObject().put("id", id));
  }

  /** The scheduler does not hold the job, or there is no scheduler (one is being elected): the database answers. */
  private static boolean notHeld(Throwable err) {
    return err instanceof ReplyException reply && (reply.failureCode() == 404 || noScheduler(err));
  }

  private static boolean noScheduler(Throwable err) {
    return err instanceof ReplyException reply && reply.failureType() != io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE;
  }

  /**
   * A question for the scheduler, wherever it runs, answered within {@link #SCHEDULER_TIMEOUT_MS}: a
   * scheduler whose node just died must not hang the API (a timeout counts as no scheduler).
   */
  private <T> Future<T> askScheduler(String address, Object body) {
    return vertx.eventBus().<T>request(address, body, new io.vertx.core.eventbus.DeliveryOptions()
        .setSendTimeout(SCHEDULER_TIMEOUT_MS)).map(Message::body);
  }

  static final long SCHEDULER_TIMEOUT_MS = 5000;

  private <T> Future<T> request(String address, Object body) {
    return vertx.eventBus().<T>request(address, body).map(Message::body);
  }

  /** Intake runs on every full node: this one's, so a paused peer cannot hold submissions up. */
  private <T> Future<T> nearest(String address, Object body) {
    return brain.bus.Nearest.<T>request(vertx, address, body).map(Message::body);
  }

  /** Its form is the document's (JobId), checked by the router. */
  private static String jobId(RoutingContext ctx) {
    return ctx.pathParam("id");
  }
}

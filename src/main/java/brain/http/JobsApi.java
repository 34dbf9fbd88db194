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
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The jobs part of REST contract v1 (docs in README): each handler asks the owning verticle over the bus. */
final class JobsApi {
  private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

  private final Vertx vertx;
  private final int maxJsonValues;
  private final java.nio.file.Path storageDir;

  JobsApi(Vertx vertx, int maxJsonValues, java.nio.file.Path storageDir) {
    this.vertx = vertx;
    this.maxJsonValues = maxJsonValues;
    this.storageDir = storageDir;
  }

  void mount(Router router, long maxBodyBytes) {
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

  private void submit(RoutingContext ctx) {
    JsonObject body;
    try {
      String text = ctx.body().asString();
      if (text == null || text.isBlank()) {
        throw ApiError.badRequest("the body is empty; send a JSON object such as {\"rowsA\":500,\"colsA\":300,\"colsB\":400}");
      }
      body = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      HttpReplies.error(ctx, 400, "the body is not a JSON object: " + firstLine(e.getMessage()));
      return;
    } catch (ApiError e) {
      HttpReplies.failure(ctx, e);
      return;
    }
    accepted(ctx, request(JOBS_SUBMIT, submitter(body, Caller.of(ctx))));
  }

  /** A replay is a new job of whoever replays it (and counts against that caller's quotas). */
  private void replay(RoutingContext ctx) {
    String id = jobId(ctx);
    Caller caller = Caller.of(ctx);
    accepted(ctx, owner(id, caller).compose(owner -> request(JOBS_REPLAY, submitter(new JsonObject().put("id", id), caller))));
  }

  /**
   * Who submits, for intake: the caller's name (recorded as submittedBy) and quotas (null for an
   * admin). Set here, over anything the client put in those fields.
   */
  private static JsonObject submitter(JsonObject body, Caller caller) {
    return body.put("submittedBy", caller.name()).put("quotas", caller.admin() ? null : caller.quotas())
        .put("submitterIsAdmin", caller.admin());
  }

  private void accepted(RoutingContext ctx, Future<JsonObject> job) {
    job.onSuccess(created -> {
      String location = "/api/jobs/" + created.getString("id");
      ctx.response().putHeader("location", location);
      HttpReplies.json(ctx, 202, created.put("links", new JsonObject().put("self", location)));
    }).onFailure(err -> HttpReplies.failure(ctx, err));
  }

  private void list(RoutingContext ctx) {
    int limit = HttpReplies.intParam(ctx, "limit", 20, 1, 200);
    int offset = HttpReplies.intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
    // A requestor's history is its own jobs only (filtered in SQL, so the total is its own too);
    // an admin sees all, or one submitter's with ?submittedBy=.
    Caller caller = Caller.of(ctx);
    String submittedBy = caller.admin() ? ctx.request().getParam("submittedBy") : caller.name();
    if (submittedBy != null && !TokensApi.NAME.matcher(submittedBy).matches()) {
      throw ApiError.badRequest("submittedBy must be a token's name (1 to 40 letters, digits, '_', '.' or '-')");
    }
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
      views.add(active ? liveView(stored.getString("id")).map(live -> withOwner(live, stored.getString("submittedBy")))
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
    int size = HttpReplies.intParam(ctx, "size", 64, 8, 256);
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
    if (!which.equals("a") && !which.equals("b")) {
      HttpReplies.error(ctx, 404, "a job has inputs a and b, not '" + which + "'");
      return;
    }
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
   * (or {@code -b}), on a worker thread, then streamed like any stored matrix. Concurrent first
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
    return owner(id, caller).compose(owner -> liveView(id).map(live -> withOwner(live, owner))
        .recover(err -> notHeld(err) ? stored(id) : Future.failedFuture(err)));
  }

  /**
   * Who submitted job {@code id} (null for jobs from before tokens), from its row: every job is
   * stored before its 202, so the row is the one authority, whether the scheduler holds the job
   * or not. Fails with 404 if there is no such job or the caller may not see it.
   */
  private Future<String> owner(String id, Caller caller) {
    return this.<JsonObject>request(DB_JOB_GET, new JsonObject().put("id", id).put("part", "owner")).map(row -> {
      String owner = row.getString("submittedBy");
      caller.mustSee(id, owner);
      return owner;
    });
  }

  private static JsonObject withOwner(JsonObject view, String owner) {
    return view.containsKey("submittedBy") ? view : view.put("submittedBy", owner);
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

  private static String jobId(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (id == null || !JOB_ID.matcher(id).matches()) {
      throw ApiError.badRequest("'" + (id == null ? "" : id.length() > 80 ? id.substring(0, 80) + "…" : id)
          + "' is not a job id");
    }
    return id;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int newline = message.indexOf('\n');
    String line = newline < 0 ? message : message.substring(0, newline);
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }
}

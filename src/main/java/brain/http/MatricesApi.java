package brain.http;

import static brain.bus.Addresses.*;

import brain.config.BrainConfig;
import brain.matrix.MatrixFiles;
import brain.model.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Uploaded matrices: {@code POST /api/matrices} (a .npy file or raw float32, streamed to a
 * temporary file, never held in memory), {@code GET /api/matrices[/{id}]}, {@code DELETE
 * /api/matrices/{id}}. Values live in {@code <storage.dir>/<id>.f32}, metadata and owners in
 * the database. A matrix the caller does not own answers exactly like an unknown id (404).
 */
final class MatricesApi {
  static final String PATH = "/api/matrices";
  static final String RAW = "application/octet-stream";
  /** Room for a .npy header (at most 64 KiB in format 2.0/3.0) above the values. */
  private static final long HEADER_ROOM = 64 * 1024;

  private final Vertx vertx;
  private final Path storageDir;
  private final Path uploadsDir;
  private final MatrixFiles.Limits limits;
  private final long maxUploadBytes;
  private final int maxJsonValues;
  private final Idempotency idempotency;

  MatricesApi(Vertx vertx, BrainConfig.Reader conf) {
    this.vertx = vertx;
    this.idempotency = new Idempotency(vertx);
    this.storageDir = Path.of(conf.string("storage.dir"));
    this.uploadsDir = storageDir.resolve("uploads");
    this.limits = new MatrixFiles.Limits(conf.integer("limits.maxDimension"), conf.longValue("limits.maxElements"));
    // A '<f8' upload carries 8 bytes a value.
    this.maxUploadBytes = limits.maxElements() * 8 + HEADER_ROOM;
    this.maxJsonValues = conf.integer("limits.maxJsonResultValues");
  }

  /** Where matrix {@code id}'s values are: raw little-endian float32, row-major. */
  static Path fileOf(Path storageDir, String id) {
    return storageDir.resolve(id + ".f32");
  }

  /** Whether a request is an upload, whose body this API reads itself (not JSON). */
  static boolean isUpload(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    return path.equals(PATH) || path.equals(PATH + "/");
  }

  Future<Void> mount(ApiRoutes router) {
    router.post(PATH).handler(this::upload);
    router.get(PATH).handler(this::list);
    router.get(PATH + "/:id").handler(this::download);
    router.delete(PATH + "/:id").handler(this::delete);
    return vertx.fileSystem().mkdirs(uploadsDir.toString());
  }

  // ------------------------------------------------------------------ upload

  private void upload(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    // Hold the body until the temporary file is open (nothing is lost: chunks already here wait in the request).
    request.pause();
    String type = mediaType(request.getHeader("content-type"));
    boolean npy = MatrixResponses.NPY.equals(type);
    if (!npy && !RAW.equals(type)) {
      refuse(ctx, new ApiError(415, "POST " + PATH + " takes a NumPy .npy file (Content-Type: " + MatrixResponses.NPY
          + ") or raw little-endian float32 (Content-Type: " + RAW + " with ?rows=R&cols=C), not "
          + (type == null ? "a body without a content type" : "'" + shorten(type) + "'")));
      return;
    }
    int rows;
    int cols;
    String key;
    try {
      rows = npy ? 0 : dimension(ctx, "rows");
      cols = npy ? 0 : dimension(ctx, "cols");
      if (!npy) {
        checkRawShape(rows, cols);
      }
      String length = request.getHeader("content-length");
      if (length != null && Long.parseLong(length.trim()) > maxUploadBytes) {
        throw tooLarge();
      }
      key = Idempotency.key(ctx);
    } catch (NumberFormatException e) {
      refuse(ctx, ApiError.badRequest("the Content-Length header is not a number"));
      return;
    } catch (ApiError e) {
      refuse(ctx, e);
      return;
    }
    Caller caller = Caller.of(ctx);
    Path temp = uploadsDir.resolve(UUID.randomUUID() + ".part");
    new Receiver(ctx, temp).start().compose(received -> vertx.executeBlocking(() -> {
      try {
        return npy ? MatrixFiles.importNpy(temp, storageDir, limits)
            : MatrixFiles.importRaw(temp, rows, cols, storageDir, limits);
      } finally {
        Files.deleteIfExists(temp);
      }
    }, false)).compose(imported -> key == null ? record(imported, caller) : recordOnce(imported, caller, key))
        .onSuccess(answer -> answer.send(ctx, PATH))
        .onFailure(err -> {
          vertx.fileSystem().delete(temp.toString()).onFailure(ignored -> {});
          refuse(ctx, err);
        });
  }

  /** Records the matrix and its owner: 201 for a new owner, 200 when the caller had it already. */
  private Future<Idempotency.Answer> record(MatrixFiles.Imported imported, Caller caller) {
    return this.<JsonObject>request(DB_MATRIX_RECORD, new JsonObject()
        .put("id", imported.id()).put("rows", imported.rows()).put("cols", imported.cols())
        .put("bytes", imported.bytes()).put("sha256", imported.sha256()).put("owner", caller.name()))
        .map(recorded -> {
          boolean created = recorded.getBoolean("newOwner", true);
          recorded.remove("newOwner");
          return Idempotency.Answer.of(created ? 201 : 200, recorded);
        });
  }

  /**
   * An upload with an Idempotency-Key: claimed once its content is known (the request's
   * fingerprint is its shape and values' SHA-256), so a retry answers what the first upload did.
   */
  private Future<Idempotency.Answer> recordOnce(MatrixFiles.Imported imported, Caller caller, String key) {
    String content = imported.rows() + "x" + imported.cols() + " " + imported.sha256();
    return idempotency.claim(caller, key, Idempotency.fingerprint("POST", PATH, content)).compose(claim ->
        claim.replay() != null ? Future.succeededFuture(claim.replay())
            : claim.held() == null ? record(imported, caller) : idempotency.run(claim.held(), held -> record(imported, caller)));
  }

  /**
   * Answers a refusal. When the body has not been read to its end the connection is closed
   * after the answer: the rest of a large body is not worth receiving.
   */
  private static void refuse(RoutingContext ctx, Throwable err) {
    HttpServerRequest request = ctx.request();
    if (request.isEnded()) {
      HttpReplies.failure(ctx, err);
      return;
    }
    if (!ctx.response().headWritten()) {
      ctx.response().putHeader("connection", "close");
    }
    HttpReplies.failure(ctx, err);
    // Discard what still comes until the connection goes.
    request.handler(ignored -> {});
    request.resume();
  }

  /** Streams the request body into {@code temp}, at most maxUploadBytes; 413 beyond (the file removed). */
  private final class Receiver {
    private final RoutingContext ctx;
    private final HttpServerRequest request;
    private final Path temp;
    private final io.vertx.core.Promise<Long> done = io.vertx.core.Promise.promise();
    private final List<Buffer> pending = new ArrayList<>();
    private AsyncFile file;
    private long received;
    private boolean ended;
    private boolean failed;

    Receiver(RoutingContext ctx, Path temp) {
      this.ctx = ctx;
      this.request = ctx.request();
      this.temp = temp;
    }

    Future<Long> start() {
      request.handler(this::data);
      request.endHandler(v -> {
        ended = true;
        finishIfReady();
      });
      request.exceptionHandler(err -> fail(ApiError.badRequest("the upload was interrupted: " + err.getMessage())));
      vertx.fileSystem().open(temp.toString(), new OpenOptions().setWrite(true).setCreateNew(true))
          .onSuccess(opened -> {
            if (failed) {
              opened.close().onComplete(v -> vertx.fileSystem().delete(temp.toString()));
              return;
            }
            file = opened;
            file.exceptionHandler(err -> fail(err));
            for (Buffer buffer : pending) {
              write(buffer);
            }
            pending.clear();
            finishIfReady();
            if (!failed && !file.writeQueueFull()) {
              request.resume();
            }
          })
          .onFailure(this::fail);
      return done.future();
    }

    private void data(Buffer buffer) {
      if (failed) {
        return;
      }
      received += buffer.length();
      if (received > maxUploadBytes) {
        fail(tooLarge());
        return;
      }
      if (file == null) {
        pending.add(buffer);
        request.pause();
      } else {
        write(buffer);
      }
    }

    private void write(Buffer buffer) {
      file.write(buffer);
      if (file.writeQueueFull()) {
        request.pause();
        file.drainHandler(v -> {
          if (!failed) {
            request.resume();
          }
        });
      }
    }

    private void finishIfReady() {
      if (!ended || file == null || failed) {
        return;
      }
      file.close().onSuccess(v -> done.tryComplete(received)).onFailure(this::fail);
    }

    private void fail(Throwable err) {
      if (failed) {
        return;
      }
      failed = true;
      pending.clear();
      if (file != null) {
        file.close().onComplete(v -> vertx.fileSystem().delete(temp.toString()));
      }
      done.tryFail(err);
    }
  }

  private ApiError tooLarge() {
    return new ApiError(413, "an upload is limited to " + limits.maxElements() + " values of float32 (or float64 "
        + "converted) and " + limits.maxDimension() + " per dimension (limits.maxElements, limits.maxDimension): at most "
        + maxUploadBytes + " bytes");
  }

  private void checkRawShape(int rows, int cols) {
    if (rows > limits.maxDimension() || cols > limits.maxDimension()) {
      throw new ApiError(413, "a matrix may have at most " + limits.maxDimension() + " rows and columns "
          + "(limits.maxDimension); this one is " + rows + "×" + cols);
    }
    if ((long) rows * cols > limits.maxElements()) {
      throw new ApiError(413, "a matrix may hold at most " + limits.maxElements() + " values (limits.maxElements); "
          + rows + "×" + cols + " is " + (long) rows * cols);
    }
  }

  private static int dimension(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value == null || value.isBlank()) {
      throw ApiError.badRequest("a raw float32 upload needs ?rows=R&cols=C (its shape); " + name + " is missing");
    }
    try {
      int parsed = Integer.parseInt(value.trim());
      if (parsed < 1) {
        throw ApiError.badRequest(name + " must be at least 1, got " + parsed);
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw ApiError.badRequest(name + " must be a whole number from 1 up, got \"" + shorten(value) + "\"");
    }
  }

  // ------------------------------------------------------------------ read, list, delete

  private void download(RoutingContext ctx) {
    String id = matrixId(ctx);
    Caller caller = Caller.of(ctx);
    this.<JsonObject>request(DB_MATRIX_GET, new JsonObject().put("id", id).put("owner", caller.admin() ? null : caller.name()))
        .onFailure(err -> HttpReplies.failure(ctx, err))
        .onSuccess(matrix -> MatrixResponses.sendFile(ctx, matrix.getInteger("rows"), matrix.getInteger("cols"),
            fileOf(storageDir, id), "matrix-" + id + ".f32", maxJsonValues,
            "the values of matrix " + id + " are gone from the server's storage"));
  }

  private void list(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    HttpReplies.reply(ctx, 200, this.<JsonArray>request(DB_MATRIX_LIST,
        new JsonObject().put("owner", caller.admin() ? null : caller.name()))
        .map(list -> new JsonObject().put("matrices", list)));
  }

  /** Removes the caller's ownership (409 while a queued or running job uses it); the file goes with the last owner. */
  private void delete(RoutingContext ctx) {
    String id = matrixId(ctx);
    Caller caller = Caller.of(ctx);
    this.<JsonObject>request(DB_MATRIX_RELEASE, new JsonObject().put("id", id).put("owner", caller.name())
            .put("admin", caller.admin()))
        .compose(released -> !released.getBoolean("removed", false) ? Future.succeededFuture()
            : vertx.fileSystem().delete(fileOf(storageDir, id).toString()).recover(err -> Future.succeededFuture()))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(err -> HttpReplies.failure(ctx, err));
  }

  /** Its form is the document's (MatrixId), checked by the router. */
  private static String matrixId(RoutingContext ctx) {
    return ctx.pathParam("id");
  }

  private static String mediaType(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return null;
    }
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  private static String shorten(String text) {
    return text.length() > 60 ? text.substring(0, 60) + "..." : text;
  }

  private <T> Future<T> request(String address, Object body) {
    return vertx.eventBus().<T>request(address, body).map(Message::body);
  }
}

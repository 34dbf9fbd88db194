package brain.http;

import brain.model.ApiError;
import brain.model.Float32Codec;
import brain.model.Matrix;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Sends a matrix as raw little-endian float32 (row-major), as {@code {rows, cols, data}} JSON
 * when the client asks for {@code application/json}, or as a NumPy {@code .npy} file ('<f4',
 * C order) for {@code Accept: application/x-npy} or {@code ?format=npy}. Encoding runs on a
 * worker thread: a result can be tens of megabytes. Stored matrices (files) are streamed.
 */
final class MatrixResponses {
  static final String NPY = "application/x-npy";

  private MatrixResponses() {}

  static boolean wantsNpy(RoutingContext ctx) {
    String format = ctx.request().getParam("format");
    if (format != null) {
      return format.trim().equalsIgnoreCase("npy");
    }
    String accept = ctx.request().getHeader("accept");
    return accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains(NPY);
  }

  /** {@code name.f32} becomes {@code name.npy}. */
  private static String npyName(String fileName) {
    return (fileName.endsWith(".f32") ? fileName.substring(0, fileName.length() - 4) : fileName) + ".npy";
  }

  private static void shapeHeaders(RoutingContext ctx, int rows, int cols) {
    ctx.response()
        .putHeader("x-matrix-rows", String.valueOf(rows))
        .putHeader("x-matrix-cols", String.valueOf(cols));
  }

  /**
   * Sends a matrix stored as a raw float32 file ({@code rows}×{@code cols}, row-major): raw by
   * sendfile, .npy as its header then the file streamed, JSON (small ones) loaded on a worker
   * thread. A file that is gone answers 410 with {@code gone} as the message.
   */
  static void sendFile(RoutingContext ctx, int rows, int cols, java.nio.file.Path file, String fileName,
      int maxJsonValues, String gone) {
    boolean npy = wantsNpy(ctx);
    boolean json = !npy && wantsJson(ctx);
    io.vertx.core.file.FileSystem fs = ctx.vertx().fileSystem();
    fs.exists(file.toString()).onComplete(ar -> {
      if (ar.failed() || !ar.result()) {
        HttpReplies.failure(ctx, new ApiError(410, gone));
        return;
      }
      if (json) {
        ctx.vertx().executeBlocking(() -> brain.matrix.MatrixFiles.load(file, rows, cols), false)
            .onSuccess(m -> send(ctx, m, fileName, maxJsonValues))
            .onFailure(err -> HttpReplies.failure(ctx, err));
        return;
      }
      shapeHeaders(ctx, rows, cols);
      if (!npy) {
        ctx.response()
            .putHeader("content-type", "application/octet-stream")
            .putHeader("content-disposition", "attachment; filename=\"" + fileName + "\"")
            .putHeader("x-matrix-format", "float32-le-row-major")
            .sendFile(file.toString()).onFailure(err -> HttpReplies.failure(ctx, err));
        return;
      }
      byte[] header = brain.matrix.MatrixFiles.npyHeader(rows, cols);
      fs.open(file.toString(), new io.vertx.core.file.OpenOptions().setRead(true).setWrite(false).setCreate(false))
          .onFailure(err -> HttpReplies.failure(ctx, new ApiError(410, gone)))
          .onSuccess(opened -> opened.size().onFailure(err -> {
            opened.close();
            HttpReplies.failure(ctx, err);
          }).onSuccess(size -> {
            ctx.response()
                .putHeader("content-type", NPY)
                .putHeader("content-disposition", "attachment; filename=\"" + npyName(fileName) + "\"")
                .putHeader("content-length", String.valueOf(header.length + size))
                .write(Buffer.buffer(header));
            // Streamed with back-pressure: the heap holds a few chunks, never the matrix.
            opened.pipeTo(ctx.response()).onFailure(err -> ctx.response().reset());
          }));
    });
  }

  static boolean wantsJson(RoutingContext ctx) {
    String accept = ctx.request().getHeader("accept");
    return accept != null && accept.contains("application/json") && !accept.contains("application/octet-stream");
  }

  static void send(RoutingContext ctx, Matrix matrix, String fileName, int maxJsonValues) {
    if (wantsNpy(ctx)) {
      sendNpy(ctx, matrix, fileName);
      return;
    }
    boolean json = wantsJson(ctx);
    long values = (long) matrix.rows() * matrix.cols();
    if (json && values > maxJsonValues) {
      HttpReplies.failure(ctx, new ApiError(406, "this matrix has " + values + " values; JSON answers are limited to "
          + maxJsonValues + ". Ask for application/octet-stream (raw little-endian float32) instead"));
      return;
    }
    Future<Buffer> body = ctx.vertx().executeBlocking(() -> json
        ? Buffer.buffer(toJson(matrix).encode())
        : Buffer.buffer(Float32Codec.toBytes(matrix.data())), false);
    body.onSuccess(bytes -> {
      if (json) {
        ctx.response().putHeader("content-type", "application/json; charset=utf-8");
      } else {
        ctx.response()
            .putHeader("content-type", "application/octet-stream")
            .putHeader("content-disposition", "attachment; filename=\"" + fileName + "\"");
      }
      ctx.response()
          .putHeader("x-matrix-rows", String.valueOf(matrix.rows()))
          .putHeader("x-matrix-cols", String.valueOf(matrix.cols()))
          .putHeader("x-matrix-format", "float32-le-row-major")
          .end(bytes);
    }).onFailure(err -> HttpReplies.failure(ctx, err));
  }

  /** .npy: the v1.0 header ('<f4', C order, shape (rows, cols)) then the values, little-endian. */
  private static void sendNpy(RoutingContext ctx, Matrix matrix, String fileName) {
    Future<Buffer> body = ctx.vertx().executeBlocking(() -> {
      byte[] header = brain.matrix.MatrixFiles.npyHeader(matrix.rows(), matrix.cols());
      byte[] values = Float32Codec.toBytes(matrix.data());
      return Buffer.buffer(header.length + values.length).appendBytes(header).appendBytes(values);
    }, false);
    body.onSuccess(bytes -> {
      shapeHeaders(ctx, matrix.rows(), matrix.cols());
      ctx.response()
          .putHeader("content-type", NPY)
          .putHeader("content-disposition", "attachment; filename=\"" + npyName(fileName) + "\"")
          .end(bytes);
    }).onFailure(err -> HttpReplies.failure(ctx, err));
  }

  /**
   * A small picture of a matrix for heatmaps: at most {@code size}×{@code size} cells, each the
   * mean of the block of values it covers, with the matrix's minimum and maximum. Blocking.
   */
  static JsonObject preview(Matrix matrix, int size) {
    int rows = Math.min(size, matrix.rows());
    int cols = Math.min(size, matrix.cols());
    float[] data = matrix.data();
    JsonArray cells = new JsonArray();
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (float v : data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    for (int r = 0; r < rows; r++) {
      int r0 = (int) ((long) r * matrix.rows() / rows);
      int r1 = (int) ((long) (r + 1) * matrix.rows() / rows);
      for (int c = 0; c < cols; c++) {
        int c0 = (int) ((long) c * matrix.cols() / cols);
        int c1 = (int) ((long) (c + 1) * matrix.cols() / cols);
        double sum = 0;
        for (int i = r0; i < r1; i++) {
          int offset = matrix.offsetOf(i);
          for (int j = c0; j < c1; j++) {
            sum += data[offset + j];
          }
        }
        cells.add((float) (sum / ((long) (r1 - r0) * (c1 - c0))));
      }
    }
    return new JsonObject().put("rows", rows).put("cols", cols).put("sourceRows", matrix.rows())
        .put("sourceCols", matrix.cols()).put("min", data.length == 0 ? 0 : min).put("max", data.length == 0 ? 0 : max)
        .put("data", cells);
  }

  static JsonObject toJson(Matrix matrix) {
    JsonArray rows = new JsonArray();
    float[] data = matrix.data();
    for (int r = 0; r < matrix.rows(); r++) {
      JsonArray row = new JsonArray();
      int offset = matrix.offsetOf(r);
      for (int c = 0; c < matrix.cols(); c++) {
        row.add(data[offset + c]);
      }
      rows.add(row);
    }
    return new JsonObject().put("rows", matrix.rows()).put("cols", matrix.cols()).put("data", rows);
  }
}

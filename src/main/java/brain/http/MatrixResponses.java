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
 * Sends a matrix as raw little-endian float32 (row-major), or as {@code {rows, cols, data}}
 * JSON when the client asks for {@code application/json}. Encoding runs on a worker thread:
 * a result can be tens of megabytes.
 */
final class MatrixResponses {
  private MatrixResponses() {}

  static boolean wantsJson(RoutingContext ctx) {
    String accept = ctx.request().getHeader("accept");
    return accept != null && accept.contains("application/json") && !accept.contains("application/octet-stream");
  }

  static void send(RoutingContext ctx, Matrix matrix, String fileName, int maxJsonValues) {
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

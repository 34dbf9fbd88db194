package brain.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * Every API call that takes a body takes JSON: a body of another type (or of no declared type)
 * is refused with 415 before anything reads it. Besides telling a client what it got wrong,
 * this keeps cross-origin pages out: a browser sends {@code text/plain} or form bodies
 * cross-origin without asking first, but a JSON body only after a CORS preflight that only
 * {@code ALLOWED_ORIGINS} pass. A call without a body (a replay) is not concerned.
 */
final class JsonBodiesOnly {
  private JsonBodiesOnly() {}

  static void check(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    // Uploads take .npy or raw float32 bodies: MatricesApi applies its own rule (415 naming those two types),
    // which a browser cannot send cross-origin without a preflight either.
    if (MatricesApi.isUpload(ctx)) {
      ctx.next();
      return;
    }
    if (!hasBody(request) || isJson(request.getHeader("content-type"))) {
      ctx.next();
      return;
    }
    HttpReplies.error(ctx, 415, request.method() + " " + request.path()
        + " takes only application/json bodies (optionally with ;charset=utf-8), not "
        + (request.getHeader("content-type") == null ? "a body without a content type" : "'" + shortType(request) + "'"));
  }

  /**
   * A body is coming when the client declares a length above 0 or streams one (chunked). HTTP/2
   * need declare neither: there a declared content type is taken to mean a body.
   */
  private static boolean hasBody(HttpServerRequest request) {
    String length = request.getHeader("content-length");
    if (length != null) {
      return !length.trim().equals("0");
    }
    return request.getHeader("transfer-encoding") != null
        || (request.version() == HttpVersion.HTTP_2 && request.getHeader("content-type") != null);
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
    return type.toLowerCase(Locale.ROOT).equals("application/json");
  }

  private static String shortType(HttpServerRequest request) {
    String type = request.getHeader("content-type");
    return type.length() > 60 ? type.substring(0, 60) + "..." : type;
  }
}

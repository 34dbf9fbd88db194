package brain.http;

import static brain.bus.Addresses.DATA_FETCH;
import static brain.bus.Addresses.DATA_UPLOAD;
import static brain.bus.Addresses.DATA_UPLOAD_CHECK;

import brain.bus.HeldBytes;
import brain.model.ApiError;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Pattern;

/**
 * The binary data plane (docs/PROTOCOL.md §4): workers fetch their inputs with {@code GET
 * /data/<item>?c=<capability>} and upload a result with {@code PUT /data/results/<assignmentId>
 * ?c=<capability>}, raw little-endian float32 both ways. The scheduler decides (over the bus,
 * {@link brain.bus.Addresses#DATA_FETCH}); this side streams the region from its file (no copy
 * in the heap), or sends the bytes the scheduler holds for a small generated job, and reads an
 * upload only once the scheduler has let it through, so a refused upload costs one bus round
 * trip and no body. Public in the API's sense (no token): the
 * capability, random per session and only in that session's dispatch messages, is the check.
 */
final class DataApi {
  static final String FETCH = "/data/:itemId";
  static final String UPLOAD = "/data/results/:assignmentId";
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  /** Uploads up to this size are read before the scheduler checks them ({@link #readThenOffer}); larger ones after. */
  static final long READ_FIRST_MAX_BYTES = 64 * 1024;
  /** Short: a worker waiting on data waits on this; the scheduler answers from memory. */
  private static final DeliveryOptions ASK = new DeliveryOptions().setSendTimeout(10_000);

  /** The answer to an upload whose lease was taken back after it was sent: honest work, not needed. */
  private static final JsonObject LATE = new JsonObject().put("late", true)
      .put("message", "this chunk's lease was withdrawn before its result came (another copy was accepted, or the job"
          + " ended): it is not needed and earns no credit");

  /** Refused requests a second from one address before the rest of that second is answered 429 at once. */
  static final int REFUSALS_PER_SECOND = 20;

  private final Vertx vertx;
  private final long maxUploadBytes;
  private final RefusalThrottle throttle = new RefusalThrottle(REFUSALS_PER_SECOND);

  DataApi(Vertx vertx, long maxUploadBytes) {
    this.vertx = vertx;
    this.maxUploadBytes = maxUploadBytes;
  }

  /** On the main router, like GET /metrics: outside /api, so neither its token check nor its JSON-body rule applies. */
  void mount(io.vertx.ext.web.Router router) {
    router.get(FETCH).handler(this::fetch);
    router.put(UPLOAD).handler(this::upload);
  }

  /**
   * CORS for any origin, without credentials: the capability in the URL is the whole check (no
   * cookie or other ambient credential is looked at), so a page can use only capabilities it
   * was sent. A worker tab whose socket moved to another node keeps its page on the first node,
   * which may be gone from the node list by then: an origin list could not admit it.
   */
  static void cors(RoutingContext ctx) {
    ctx.response().putHeader("access-control-allow-origin", "*");
    if (ctx.request().method() == io.vertx.core.http.HttpMethod.OPTIONS) {
      ctx.response().setStatusCode(204).putHeader("access-control-allow-methods", "GET, PUT")
          .putHeader("access-control-allow-headers", "content-type").putHeader("access-control-max-age", "600").end();
      return;
    }
    ctx.next();
  }

  private void fetch(RoutingContext ctx) {
    if (throttled(ctx)) {
      return;
    }
    String item = ctx.pathParam("itemId");
    String capability = ctx.request().getParam("c");
    if (!valid(item) || !valid(capability)) {
      throttle.refused(host(ctx));
      HttpReplies.error(ctx, 400, "GET /data/<item id>?c=<capability>: both as named in a chunk message");
      return;
    }
    vertx.eventBus().<Object>request(DATA_FETCH, new JsonObject().put("c", capability).put("item", item), ASK)
        .onSuccess(found -> {
          // Immutable: the id is a digest of the content. Private: another's matrices are not public.
          ctx.response().putHeader("content-type", "application/octet-stream")
              .putHeader("cache-control", "private, max-age=86400, immutable");
          if (found.body() instanceof HeldBytes held) { // a small generated job's, from memory
            ctx.response().end(held.bytes())
                .onSuccess(v -> brain.metrics.GridMeters.of(vertx).dataBytes(true, held.bytes().length())); // GridMeters hook
            return;
          }
          JsonObject region = (JsonObject) found.body();
          ctx.response().sendFile(region.getString("file"), region.getLong("offset"), region.getLong("length"))
              .onSuccess(v -> brain.metrics.GridMeters.of(vertx).dataBytes(true, region.getLong("length"))) // GridMeters hook
              .onFailure(err -> {
                if (!ctx.response().headWritten()) {
                  HttpReplies.error(ctx, 404, "the item's file is gone (its job ended)");
                }
              });
        })
        .onFailure(err -> {
          throttle.refused(host(ctx));
          HttpReplies.failure(ctx, err);
        });
  }

  private void upload(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    request.pause(); // nothing is read before its headers pass (and, past READ_FIRST_MAX_BYTES, the scheduler's check)
    if (throttled(ctx)) {
      return;
    }
    String assignmentId = ctx.pathParam("assignmentId");
    String capability = request.getParam("c");
    double computeMs;
    double waitMs;
    long length;
    try {
      if (!valid(assignmentId) || !valid(capability)) {
        throw ApiError.badRequest("PUT /data/results/<assignmentId>?c=<capability>: both as named in the chunk message");
      }
      computeMs = millis(request.getParam("computeMs"), "computeMs");
      waitMs = millis(request.getParam("waitMs"), "waitMs");
      String header = request.getHeader("content-length");
      if (header == null) {
        throw new ApiError(411, "an upload states its Content-Length (rows × colsB × 4 bytes)");
      }
      length = Long.parseLong(header.trim());
      if (length < 0 || length > maxUploadBytes) {
        throw new ApiError(413, "an upload is at most " + maxUploadBytes + " bytes");
      }
    } catch (NumberFormatException e) {
      refuse(ctx, ApiError.badRequest("the Content-Length header is not a number"));
      return;
    } catch (ApiError e) {
      refuse(ctx, e);
      return;
    }
    String job = request.getParam("job");
    Integer chunk;
    try {
      chunk = request.getParam("chunk") == null ? null : Integer.valueOf(request.getParam("chunk"));
    } catch (NumberFormatException e) {
      chunk = -1;
    }
    if ((job != null && !valid(job)) || (chunk != null && chunk < 0)) {
      refuse(ctx, ApiError.badRequest("job and chunk, when given, are as in the chunk message's upload URL"));
      return;
    }
    JsonObject lease = new JsonObject().put("c", capability).put("assignmentId", assignmentId).put("length", length)
        .put("job", job).put("chunk", chunk);
    DeliveryOptions uploaded = new DeliveryOptions(ASK)
        .addHeader("c", capability).addHeader("assignmentId", assignmentId)
        .addHeader("job", job == null ? "" : job).addHeader("chunk", chunk == null ? "" : String.valueOf(chunk))
        .addHeader("computeMs", String.valueOf(computeMs)).addHeader("waitMs", String.valueOf(waitMs));
    if (length <= READ_FIRST_MAX_BYTES) {
      readThenOffer(ctx, uploaded.addHeader("unchecked", "true"), length);
    } else {
      checkThenRead(ctx, lease, uploaded, length);
    }
  }

  /**
   * A small body (at most {@link #READ_FIRST_MAX_BYTES}) is read first, then checked and taken by
   * the scheduler in one message: the check's own round trip had been a tenth of a 16-row 512³
   * chunk's (docs/BENCHMARK.md), and a refused one costs at most those bytes.
   */
  private void readThenOffer(RoutingContext ctx, DeliveryOptions uploaded, long length) {
    HttpServerRequest request = ctx.request();
    request.resume();
    request.body()
        .compose(body -> vertx.eventBus().<JsonObject>request(DATA_UPLOAD, body, uploaded))
        .onSuccess(reply -> {
          if (reply.body().getBoolean("late", false)) {
            HttpReplies.json(ctx, 200, LATE);
          } else {
            received(ctx, length);
          }
        })
        .onFailure(err -> refuse(ctx, err));
  }

  /** A larger body is read only once the scheduler has let it through (its lease, its size, the first upload). */
  private void checkThenRead(RoutingContext ctx, JsonObject lease, DeliveryOptions uploaded, long length) {
    HttpServerRequest request = ctx.request();
    vertx.eventBus().<JsonObject>request(DATA_UPLOAD_CHECK, lease, ASK).onComplete(allowed -> {
      if (allowed.failed()) {
        refuse(ctx, allowed.cause());
      } else if (allowed.result().body().getBoolean("late", false)) {
        answerLate(ctx);
      } else {
        request.resume();
        request.body()
            .compose(body -> vertx.eventBus().<JsonObject>request(DATA_UPLOAD, body, uploaded))
            .onSuccess(ok -> received(ctx, length))
            .onFailure(err -> refuse(ctx, err));
      }
    });
  }

  private void received(RoutingContext ctx, long length) {
    brain.metrics.GridMeters.of(vertx).dataBytes(false, length); // GridMeters hook
    ctx.response().setStatusCode(204).end();
  }

  /**
   * An upload whose lease was withdrawn as it came: its body is read and dropped (once per lease,
   * at most one result's bytes) so the worker gets an answer rather than a reset connection.
   */
  private static void answerLate(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    request.handler(ignored -> { });
    request.end().onSuccess(v -> HttpReplies.json(ctx, 200, LATE));
    request.resume();
  }

  /** Answers 429 (closing the connection) when this address's refusals are over the limit this second. */
  private boolean throttled(RoutingContext ctx) {
    if (!throttle.throttled(host(ctx))) {
      return false;
    }
    ctx.response().putHeader("connection", "close").putHeader("retry-after", "1");
    HttpReplies.error(ctx, 429, "too many refused data requests from your address this second; try again in a second");
    return true;
  }

  private static String host(RoutingContext ctx) {
    return ctx.request().remoteAddress() == null ? "" : ctx.request().remoteAddress().hostAddress();
  }

  /** A refused upload's body is not read (or only the few bytes of a small one): the answer closes the connection. */
  private void refuse(RoutingContext ctx, Throwable err) {
    throttle.refused(host(ctx));
    if (!ctx.response().headWritten()) {
      ctx.response().putHeader("connection", "close");
    }
    HttpReplies.failure(ctx, err);
  }

  private static boolean valid(String token) {
    return token != null && TOKEN.matcher(token).matches();
  }

  private static double millis(String value, String name) {
    if (value == null) {
      return 0;
    }
    try {
      double ms = Double.parseDouble(value);
      if (ms >= 0 && ms <= 1e9) {
        return ms;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw ApiError.badRequest(name + " must be a number of milliseconds between 0 and 1000000000");
  }
}

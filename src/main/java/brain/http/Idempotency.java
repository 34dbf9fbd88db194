package brain.http;

import static brain.bus.Addresses.*;

import brain.model.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * {@code Idempotency-Key} on the creating calls (POST /api/jobs, POST /api/matrices), as
 * Stripe's API has it: keys are per caller (token name) and kept 24 hours; a retry with the same
 * key and the same request gets the first answer again (same status and body, with
 * {@code Idempotent-Replayed: true}), the same key with another request gets 422, and a retry
 * while the first is still in flight gets 409. A request that failed is not remembered: its key
 * may be used again. The keys live in the database ({@code brain.persistence.IdempotencyStore}).
 */
final class Idempotency {
  static final String HEADER = "idempotency-key";
  static final String REPLAYED = "idempotent-replayed";
  /** Printable ASCII, as Stripe allows (a UUID fits). */
  private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");

  /** A request that holds its key: it must {@link #complete} or {@link #release} it. */
  record Held(String caller, String key, String attempt) {
    JsonObject toJson() {
      return new JsonObject().put("caller", caller).put("key", key).put("attempt", attempt);
    }
  }

  /** An answer to send: a status and a JSON body; {@code replayed} when it is a first request's, sent again. */
  record Answer(int status, JsonObject body, boolean replayed) {
    static Answer of(int status, JsonObject body) {
      return new Answer(status, body, false);
    }

    /** Sends it; {@code collection} + the body's id is the Location. */
    void send(RoutingContext ctx, String collection) {
      if (body.getString("id") != null) {
        ctx.response().putHeader("location", collection + "/" + body.getString("id"));
      }
      if (replayed) {
        ctx.response().putHeader(REPLAYED, "true");
      }
      HttpReplies.json(ctx, status, body);
    }
  }

  /** What a claim found: this request goes ahead ({@code held}), or the first one's answer or resource. */
  record Claim(Held held, Answer replay, String resourceId) {}

  private final Vertx vertx;

  Idempotency(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * The request's key, or null when it sends none; 400 when the header is not a key. The
   * document says the same (the router checks it on a job submission), but uploads are not
   * validated by the router: this check is theirs.
   */
  static String key(RoutingContext ctx) {
    String key = ctx.request().getHeader(HEADER);
    if (key == null) {
      return null;
    }
    if (!KEY.matcher(key).matches()) {
      throw ApiError.badRequest("the Idempotency-Key header must be 1 to 255 printable ASCII characters without "
          + "spaces (a UUID, say), got " + (key.isEmpty() ? "an empty one" : key.length() + " characters"));
    }
    return key;
  }

  /** SHA-256 of the method, the path and what identifies the request's content. */
  static String fingerprint(String method, String path, String content) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update((method + " " + path + "\n").getBytes(StandardCharsets.UTF_8));
      sha.update(content.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  Future<Claim> claim(Caller caller, String key, String fingerprint) {
    return vertx.eventBus().<JsonObject>request(DB_IDEMPOTENCY_CLAIM, new JsonObject().put("caller", caller.name())
        .put("key", key).put("fingerprint", fingerprint)).map(Message::body).map(found -> new Claim(
            found.containsKey("attempt") ? new Held(caller.name(), key, found.getString("attempt")) : null,
            found.containsKey("replay") ? new Answer(found.getJsonObject("replay").getInteger("status"),
                found.getJsonObject("replay").getJsonObject("body"), true) : null,
            found.getString("resourceId")));
  }

  /**
   * Runs {@code work} while holding the key, and records its answer ({@code status} and the
   * body) for retries before it is sent; a failure the service answered (it created nothing)
   * frees the key. A failure with no answer (a timeout) keeps the key held: the first request
   * may still finish, and a retry learns its outcome (or takes the key over once it is stale).
   */
  Future<Answer> run(Held held, Function<JsonObject, Future<Answer>> work) {
    return work.apply(held.toJson()).compose(
        answer -> vertx.eventBus().request(DB_IDEMPOTENCY_COMPLETE, held.toJson().put("status", answer.status())
                .put("body", answer.body()).put("resourceId", answer.body().getString("id")))
            // The answer stands even if it could not be stored: a job's key still names the job.
            .transform(stored -> Future.succeededFuture(answer)),
        err -> (answered(err) ? vertx.eventBus().request(DB_IDEMPOTENCY_RELEASE, held.toJson()).<Void>mapEmpty()
            : Future.<Void>succeededFuture()).transform(released -> Future.failedFuture(err)));
  }

  private static boolean answered(Throwable err) {
    return err instanceof ApiError
        || err instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE;
  }
}

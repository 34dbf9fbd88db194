package brain.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.function.LongConsumer;

/**
 * The grid's REST API as the command line uses it, over {@link HttpClient}: uploads stream the file
 * ({@code BodyPublishers.ofFile}) and downloads stream to a file ({@code BodyHandlers.ofFile}), each
 * counting the bytes as they pass so that a progress bar can follow. Every non-2xx answer becomes a
 * {@link Refusal} carrying the status and the server's {@code {"error"}} message.
 */
public final class BrainClient {
  /** The server said no (or could not be reached): the status (0 when there was no answer) and its reason. */
  public static final class Refusal extends Exception {
    private final int status;

    public Refusal(int status, String message) {
      super(message);
      this.status = status;
    }

    public int status() {
      return status;
    }

    /** "404 Not Found: no job nosuch", or the message alone when the server never answered. */
    public String describe() {
      return status == 0 ? getMessage() : status + " " + reason(status) + ": " + getMessage();
    }

    private static String reason(int status) {
      return switch (status) {
        case 400 -> "Bad Request";
        case 401 -> "Unauthorized";
        case 403 -> "Forbidden";
        case 404 -> "Not Found";
        case 409 -> "Conflict";
        case 413 -> "Payload Too Large";
        case 415 -> "Unsupported Media Type";
        case 422 -> "Unprocessable Entity";
        case 429 -> "Too Many Requests";
        case 500 -> "Internal Server Error";
        case 503 -> "Service Unavailable";
        default -> "HTTP";
      };
    }
  }

  private final HttpClient http;
  private final URI base;
  private final String token;

  public BrainClient(String server, String token) {
    String url = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
    this.base = URI.create(url);
    this.token = token;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  public URI base() {
    return base;
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path));
    if (token != null && !token.isEmpty()) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder;
  }

  /** Uploads one .npy file; answers {@code {"id","rows","cols","bytes","sha256"}}. */
  public JsonObject uploadMatrix(Path file, LongConsumer sentSoFar) throws IOException, Refusal {
    HttpRequest.BodyPublisher body = counting(HttpRequest.BodyPublishers.ofFile(file), sentSoFar);
    HttpRequest req = request("/api/matrices").header("Content-Type", "application/x-npy")
        .header("Accept", "application/json").POST(body).build();
    return json(send(req, HttpResponse.BodyHandlers.ofString()));
  }

  /** Submits {@code {"a","b","verify"?,"chunkRows"?}}; answers the job's first view. */
  public JsonObject submit(JsonObject spec) throws IOException, Refusal {
    HttpRequest req = request("/api/jobs").header("Content-Type", "application/json")
        .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofString(spec.encode())).build();
    return json(send(req, HttpResponse.BodyHandlers.ofString()));
  }

  public JsonObject job(String id) throws IOException, Refusal {
    HttpRequest req = request("/api/jobs/" + segment(id)).header("Accept", "application/json").GET().build();
    return json(send(req, HttpResponse.BodyHandlers.ofString()));
  }

  public JsonObject cancel(String id) throws IOException, Refusal {
    HttpRequest req = request("/api/jobs/" + segment(id)).header("Accept", "application/json").DELETE().build();
    HttpResponse<String> response = send(req, HttpResponse.BodyHandlers.ofString());
    return response.body().isBlank() ? new JsonObject() : json(response);
  }

  public JsonObject jobs(int limit, int offset) throws IOException, Refusal {
    HttpRequest req = request("/api/jobs?limit=" + limit + "&offset=" + offset).header("Accept", "application/json")
        .GET().build();
    return json(send(req, HttpResponse.BodyHandlers.ofString()));
  }

  /**
   * Downloads the job's C as .npy into {@code target}: written to a temporary file beside it and moved
   * into place only when complete, so a failed download leaves no partial file. {@code progress} gets
   * the length announced by the server (-1 if none) and then the bytes received so far.
   */
  public long downloadResult(String id, Path target, LongConsumer total, LongConsumer receivedSoFar)
      throws IOException, Refusal {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path partial = Files.createTempFile(dir, "." + target.getFileName() + ".", ".part");
    try {
      HttpRequest req = request("/api/jobs/" + segment(id) + "/result").header("Accept", "application/x-npy").GET().build();
      HttpResponse<Path> response = send(req, info -> {
        if (info.statusCode() / 100 != 2) {
          return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8),
              s -> { throw new ErrorBody(info.statusCode(), s); });
        }
        total.accept(info.headers().firstValueAsLong("content-length").orElse(-1));
        return counting(HttpResponse.BodySubscribers.ofFile(partial), receivedSoFar);
      });
      long size = Files.size(response.body());
      Files.move(partial, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return size;
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /** Carries an error answer's body out of a body subscriber. */
  private static final class ErrorBody extends RuntimeException {
    final int status;
    final String body;

    ErrorBody(int status, String body) {
      super(null, null, false, false);
      this.status = status;
      this.body = body;
    }
  }

  private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws IOException, Refusal {
    HttpResponse<T> response;
    try {
      response = http.send(req, handler);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new Refusal(0, "cannot reach the server at " + base + " (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); is it running? (--server or BRAIN_SERVER)");
    } catch (IOException e) {
      Throwable cause = e;
      while (cause != null && !(cause instanceof ErrorBody)) {
        cause = cause.getCause();
      }
      if (cause instanceof ErrorBody error) {
        throw new Refusal(error.status, message(error.status, error.body));
      }
      throw e;
    }
    if (response.statusCode() / 100 != 2) {
      Object body = response.body();
      throw new Refusal(response.statusCode(), message(response.statusCode(), body instanceof String s ? s : ""));
    }
    return response;
  }

  /** The server's {"error": "..."} message, or the body itself, or a word for the status. */
  static String message(int status, String body) {
    if (body != null && !body.isBlank()) {
      try {
        JsonObject json = new JsonObject(body);
        if (json.getValue("error") != null) {
          return String.valueOf(json.getValue("error"));
        }
      } catch (DecodeException | ClassCastException e) {
        // not JSON: the text itself
      }
      String text = body.strip();
      return text.length() > 500 ? text.substring(0, 500) + "..." : text;
    }
    return status == 401 ? "the token was refused (--token or BRAIN_TOKEN)" : "no reason given";
  }

  private static JsonObject json(HttpResponse<String> response) throws Refusal {
    try {
      return new JsonObject(response.body());
    } catch (DecodeException e) {
      throw new Refusal(response.statusCode(), "the server answered something that is not JSON: " + response.body());
    }
  }

  private static String segment(String id) {
    return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A publisher that reports the bytes handed to the connection, in order, as they go. */
  static HttpRequest.BodyPublisher counting(HttpRequest.BodyPublisher inner, LongConsumer sentSoFar) {
    return new HttpRequest.BodyPublisher() {
      @Override
      public long contentLength() {
        return inner.contentLength();
      }

      @Override
      public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        inner.subscribe(new Flow.Subscriber<ByteBuffer>() {
          private long sent;

          @Override
          public void onSubscribe(Flow.Subscription subscription) {
            subscriber.onSubscribe(subscription);
          }

          @Override
          public void onNext(ByteBuffer item) {
            sent += item.remaining();
            subscriber.onNext(item);
            sentSoFar.accept(sent);
          }

          @Override
          public void onError(Throwable throwable) {
            subscriber.onError(throwable);
          }

          @Override
          public void onComplete() {
            subscriber.onComplete();
          }
        });
      }
    };
  }

  /** A body subscriber that reports the bytes received so far before passing them on. */
  static <T> HttpResponse.BodySubscriber<T> counting(HttpResponse.BodySubscriber<T> inner, LongConsumer receivedSoFar) {
    return new HttpResponse.BodySubscriber<T>() {
      private long received;

      @Override
      public CompletionStage<T> getBody() {
        return inner.getBody();
      }

      @Override
      public void onSubscribe(Flow.Subscription subscription) {
        inner.onSubscribe(subscription);
      }

      @Override
      public void onNext(List<ByteBuffer> items) {
        for (ByteBuffer b : items) {
          received += b.remaining();
        }
        inner.onNext(items);
        receivedSoFar.accept(received);
      }

      @Override
      public void onError(Throwable throwable) {
        inner.onError(throwable);
      }

      @Override
      public void onComplete() {
        inner.onComplete();
      }
    };
  }
}

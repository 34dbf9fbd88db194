package brain.worker;

import brain.model.Float32Codec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/**
 * Protocol 2's data plane: a chunk's inputs fetched over HTTP into the {@link DataCache}, its
 * result uploaded with a PUT, both to the node the worker is connected to. Counts the bytes it
 * moves. Confined to the worker's event loop.
 */
final class DataPlane {
  private static final System.Logger LOG = System.getLogger(DataPlane.class.getName());

  private final String name;
  private final NodeTargets targets;
  private final DataCache cache;
  /** Called when a B item has been fetched: B is what locality is about, the scheduler hears of it. */
  private final Runnable onBHeld;
  /**
   * Connections beyond one per slot: for the A slices a chunk message names to fetch ahead
   * ({@code prefetch}, at most two): on the slots' connections they queued behind the uploads.
   */
  private static final int FETCH_AHEAD_CONNECTIONS = 2;
  /** At most this many items of a message's {@code prefetch} are fetched (the server names up to two). */
  private static final int MAX_AHEAD = 4;
  private volatile long fetchedAhead;
  private final HttpClient http;
  /** Fetches in progress by item id, their bodies as they arrive: two chunks naming one B share one GET. */
  private final Map<String, Arriving> fetching = new HashMap<>();
  /** Told after each piece of a body and when a fetch fails: a product may take in more of its inputs. */
  private Runnable onProgress = () -> { };
  private long bytesIn;
  private long bytesOut;
  /** float32 values fetched. */
  private volatile long values;

  DataPlane(Vertx vertx, String name, int slots, NodeTargets targets, DataCache cache, Runnable onBHeld) {
    this.name = name;
    this.targets = targets;
    this.cache = cache;
    this.onBHeld = onBHeld;
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(Math.max(2, slots) + FETCH_AHEAD_CONNECTIONS));
  }

  /** A data item from the cache, or fetched (once, however many chunks ask at the same time). */
  Future<float[]> item(JsonObject item) {
    String id = item.getString("id");
    float[] held = cache.get(id);
    if (held != null) {
      return Future.succeededFuture(held);
    }
    Arriving pending = fetching.get(id);
    if (pending != null) {
      return pending.fetched;
    }
    int count = Math.multiplyExact(item.getInteger("rows"), item.getInteger("cols"));
    Arriving arrival = new Arriving(new Float32Pieces(count));
    String url = item.getString("url");
    NodeTargets.Target target = targets.current();
    Future<float[]> fetched = http.request(new RequestOptions().setHost(target.host())
            .setPort(target.port()).setSsl(target.tls()).setURI(url))
        .compose(request -> {
          bytesOut += requestBytes(request, url);
          return request.send();
        })
        .compose(response -> {
          bytesIn += responseHeaderBytes(response);
          if (response.statusCode() != 200) {
            return response.body().map(body -> {
              bytesIn += body.length();
              throw new IllegalStateException("GET " + url.replaceAll("\\?.*", "") + " answered "
                  + response.statusCode() + ": " + body.toString());
            });
          }
          return receive(response, id, arrival.pieces);
        });
    arrival.fetched = fetched;
    fetching.put(id, arrival);
    fetched.onComplete(ar -> {
      fetching.remove(id);
      if (ar.succeeded()) {
        cache.put(id, ar.result());
        if ("b".equals(item.getString("role"))) {
          onBHeld.run();
        }
      } else {
        onProgress.run();
      }
    });
    return fetched;
  }

  /**
   * A slices of chunks the server set aside for this worker (PROTOCOL.md §4, {@code prefetch}):
   * fetched into the cache now, so the chunk that names one later starts without a round trip.
   * A failure is the later chunk's to meet (it fetches again).
   */
  void fetchAhead(JsonArray ahead) {
    if (ahead == null) {
      return;
    }
    for (int i = 0; i < Math.min(ahead.size(), MAX_AHEAD); i++) {
      if (ahead.getValue(i) instanceof JsonObject item && "a".equals(item.getValue("role"))
          && item.getValue("id") instanceof String id && item.getValue("url") instanceof String
          && item.getValue("rows") instanceof Integer && item.getValue("cols") instanceof Integer
          && !cache.contains(id) && !fetching.containsKey(id)) {
        fetchedAhead++; // one thread writes (the worker's context); volatile for readers elsewhere
        item(item);
      }
    }
  }

  /** Data items fetched because a chunk message named them in {@code prefetch}. */
  long fetchedAhead() {
    return fetchedAhead;
  }

  /** The body of the fetch of {@code id} in progress, or null when none is. */
  Arriving arriving(String id) {
    return fetching.get(id);
  }

  void onProgress(Runnable listener) {
    this.onProgress = listener;
  }

  /**
   * An item's values as its body arrives: the first {@link #decoded()} of {@link #values()} are
   * final (B's rows in order, which a product can take in before the rest). Confined, like the
   * data plane, to the worker's event loop.
   */
  static final class Arriving {
    private final Float32Pieces pieces;
    /** The fetch, completed with the values or failed. */
    private Future<float[]> fetched;

    Arriving(Float32Pieces pieces) {
      this.pieces = pieces;
    }

    float[] values() {
      return pieces.array();
    }

    int decoded() {
      return pieces.decoded();
    }

    boolean complete() {
      return pieces.values() != null;
    }

    boolean failed() {
      return fetched.failed();
    }
  }

  /**
   * The body, decoded into an array of exactly the item's size as its pieces arrive ({@link
   * Float32Pieces}: a 16 MiB B had been copied into a byte array, then decoded in one go on the
   * event loop once it was all there); a body longer than the item is refused before it is held.
   */
  private Future<float[]> receive(HttpClientResponse response, String id, Float32Pieces body) {
    io.vertx.core.Promise<float[]> done = io.vertx.core.Promise.promise();
    response.handler(piece -> {
      bytesIn += piece.length();
      if (!body.accept(piece)) {
        done.tryFail(new IllegalStateException("item " + id + " has more than " + body.expectedBytes() + " bytes"));
        response.request().connection().close();
        return;
      }
      onProgress.run();
    });
    response.exceptionHandler(done::tryFail);
    response.endHandler(v -> {
      float[] values = body.values();
      if (values == null) {
        done.tryFail(new IllegalStateException("item " + id + " has " + body.receivedBytes() + " bytes, not "
            + body.expectedBytes()));
        return;
      }
      this.values += values.length;
      done.tryComplete(values);
    });
    return done.future();
  }

  /** PUTs a result's float32 bytes to {@code upload} (the chunk's URL); a refusal is logged. */
  void upload(String upload, int chunkIndex, float[] result, double computeMs, double waitMs) {
    Buffer body = Buffer.buffer(Float32Codec.toBytes(result));
    String uri = upload + "&computeMs=" + computeMs + "&waitMs=" + waitMs;
    NodeTargets.Target target = targets.current();
    http.request(new RequestOptions().setMethod(HttpMethod.PUT)
            .setHost(target.host()).setPort(target.port()).setSsl(target.tls()).setURI(uri))
        .compose(request -> {
          request.putHeader("content-type", "application/octet-stream");
          request.putHeader("content-length", String.valueOf(body.length()));
          bytesOut += requestBytes(request, uri) + body.length();
          return request.send(body);
        })
        .compose(response -> {
          bytesIn += responseHeaderBytes(response);
          return response.body().map(answer -> {
            bytesIn += answer.length();
            if (response.statusCode() == 200) {
              LOG.log(System.Logger.Level.DEBUG, "chunk " + chunkIndex + " was not needed any more: " + answer);
            } else if (response.statusCode() != 204) {
              LOG.log(System.Logger.Level.WARNING, "the server refused our upload for chunk " + chunkIndex
                  + ": " + response.statusCode() + " " + answer);
            }
            return null;
          });
        })
        .onFailure(err -> LOG.log(System.Logger.Level.DEBUG, name + " could not upload: " + err.getMessage()));
  }

  private static long requestBytes(HttpClientRequest request, String uri) {
    long bytes = request.getMethod().name().length() + uri.length() + 12; // "GET <uri> HTTP/1.1\r\n"
    for (Map.Entry<String, String> h : request.headers()) {
      bytes += h.getKey().length() + h.getValue().length() + 4;
    }
    return bytes + 2;
  }

  private static long responseHeaderBytes(HttpClientResponse response) {
    long bytes = 15 + String.valueOf(response.statusMessage()).length(); // "HTTP/1.1 200 OK\r\n"
    for (Map.Entry<String, String> h : response.headers()) {
      bytes += h.getKey().length() + h.getValue().length() + 4;
    }
    return bytes + 2;
  }

  /** Request and response lines, headers and bodies moved. */
  long bytes() {
    return bytesIn + bytesOut;
  }

  /** float32 values fetched. */
  long values() {
    return values;
  }

  void close() {
    http.close();
  }
}

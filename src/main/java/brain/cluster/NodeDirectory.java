package brain.cluster;

import static brain.bus.Addresses.*;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * The cluster's nodes: each node writes its own entry {id, url, upSince, sockets, workers,
 * scheduler} every second into a cluster-wide map (the shared data's async map: Hazelcast's
 * when clustered, an in-process one on a single node), and removes the entry of a node that
 * left. Answers {@link brain.bus.Addresses#CLUSTER_NODES} on this node, and keeps the live nodes'
 * URLs where the scheduler's registration reply reads them without waiting ({@link #urls}).
 */
public final class NodeDirectory extends VerticleBase {
  /** What this node tells the others about itself, read every refresh. */
  public interface Local {
    int sockets();

    int workers();

    boolean scheduler();
  }

  static final String MAP = "brain.cluster.nodes";
  private static final String LOCAL_MAP = "brain.cluster.directory";
  private static final long REFRESH_MS = 1000;
  /** An entry not refreshed for this long is gone even if no one saw its node leave. */
  private static final long ENTRY_TTL_MS = 5000;
  private static final System.Logger LOG = System.getLogger(NodeDirectory.class.getName());

  private final Local local;
  private final String url;
  private final String upSince = Instant.now().toString();
  private String nodeId;
  private AsyncMap<String, JsonObject> map;
  private Membership membership;
  private volatile boolean leaving;

  public NodeDirectory(Local local, String url) {
    this.local = local;
    this.url = url;
  }

  /** The public URLs of the live nodes, as last read (this node's first). Any thread, never blocks. */
  public static JsonArray urls(Vertx vertx) {
    Object urls = vertx.sharedData().getLocalMap(LOCAL_MAP).get("urls");
    return urls instanceof JsonArray list ? list : new JsonArray();
  }

  /**
   * {@code reply} with {@code nodes}: the live nodes' public URLs (a worker's registration reply).
   * Empty on a single node: a worker stays on the address it used, which may not be the one the
   * node would guess for itself (a LAN address, a tunnel).
   */
  public static JsonObject withNodes(Vertx vertx, JsonObject reply) {
    return reply.put("nodes", NodeId.LOCAL.equals(NodeId.of(vertx)) ? new JsonArray() : urls(vertx));
  }

  /** The host this node's clustered event bus announces (an address peers reach), or null when not clustered. */
  public static String clusterHost(Vertx vertx) {
    if (vertx instanceof io.vertx.core.internal.VertxInternal internal && internal.isClustered()
        && internal.clusterManager() != null && internal.clusterManager().getNodeInfo() != null) {
      return internal.clusterManager().getNodeInfo().host();
    }
    return null;
  }

  /**
   * This node's public URL: {@code cluster.publicUrl} ({@code BRAIN_PUBLIC_URL}) when set (a
   * node behind a proxy), else http://host:port with the HTTP host, or, for a wildcard, the
   * cluster host (the address peers reach this machine on: BRAIN_CLUSTER_HOST, else the one the
   * event bus announces), or localhost.
   */
  public static String publicUrl(String configured, String httpHost, String clusterHost, int port) {
    if (configured != null && !configured.isBlank()) {
      return configured.trim().replaceAll("/+$", "");
    }
    String host = httpHost == null || httpHost.isBlank() || httpHost.equals("0.0.0.0") || httpHost.equals("::")
        ? (clusterHost != null ? clusterHost : "localhost") : httpHost;
    return "http://" + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public Future<?> start() {
    nodeId = NodeId.of(vertx);
    membership = Membership.watch(vertx);
    vertx.setPeriodic(REFRESH_MS, id -> refresh());
    return vertx.sharedData().<String, JsonObject>getAsyncMap(MAP)
        .onSuccess(m -> map = m)
        .compose(m -> Future.all(
            vertx.eventBus().<JsonObject>localConsumer(CLUSTER_NODE_LEFT, this::nodeLeft).completion(),
            vertx.eventBus().localConsumer(CLUSTER_NODES, this::answer).completion()))
        .compose(v -> refresh());
  }

  /** Leaves the directory (the node is draining or stopping): its entry goes and is not written again. */
  public Future<Void> leave() {
    leaving = true;
    return map == null ? Future.succeededFuture() : map.remove(nodeId).<Void>mapEmpty().otherwiseEmpty().compose(v -> refresh());
  }

  @Override
  public Future<?> stop() {
    Future<Void> left = leave();
    if (membership != null) {
      membership.close();
    }
    return left;
  }

  /** Writes this node's entry (unless leaving), then reads all and caches the URLs. */
  private Future<Void> refresh() {
    if (map == null) {
      return Future.succeededFuture();
    }
    Future<Void> written = leaving ? Future.succeededFuture() : map.put(nodeId, entry(), ENTRY_TTL_MS);
    return written.compose(v -> nodes()).onSuccess(nodes -> {
      JsonArray urls = new JsonArray();
      nodes.forEach(n -> urls.add(((JsonObject) n).getString("url")));
      vertx.sharedData().getLocalMap(LOCAL_MAP).put("urls", urls);
    }).<Void>mapEmpty().recover(err -> {
      // Hazelcast shutting down under us (a stop), or a peer gone mid-read: the next refresh retries.
      LOG.log(System.Logger.Level.DEBUG, "node directory refresh failed: " + err.getMessage());
      return Future.succeededFuture();
    });
  }

  private JsonObject entry() {
    return new JsonObject().put("id", nodeId).put("url", url).put("upSince", upSince)
        .put("sockets", local.sockets()).put("workers", local.workers()).put("scheduler", local.scheduler());
  }

  /** All entries, this node's first, then by URL. */
  private Future<JsonArray> nodes() {
    return map.entries().map(entries -> {
      List<JsonObject> list = entries.values().stream()
          .sorted(Comparator.comparing((JsonObject n) -> !nodeId.equals(n.getString("id")))
              .thenComparing(n -> n.getString("url", "")))
          .toList();
      return new JsonArray(List.copyOf(list));
    });
  }

  private void answer(Message<Object> message) {
    nodes().onSuccess(nodes -> message.reply(new JsonObject().put("nodes", nodes)))
        .onFailure(err -> message.fail(503, "the node list is unavailable: " + err.getMessage()));
  }

  private void nodeLeft(Message<JsonObject> message) {
    String left = message.body().getString("nodeId");
    if (map != null && left != null) {
      map.remove(left).onComplete(ar -> refresh());
    }
  }
}

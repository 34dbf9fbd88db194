package brain;

import brain.auth.AuthVerticle;
import brain.bridge.BridgeGuard;
import brain.bus.Codecs;
import brain.cluster.NodeDirectory;
import brain.cluster.NodeId;
import brain.config.BrainConfig;
import brain.heartbeat.HeartbeatVerticle;
import brain.http.Admission;
import brain.http.HttpVerticle;
import brain.intake.JobIntakeVerticle;
import brain.metrics.MetricsVerticle;
import brain.persistence.PersistenceVerticle;
import brain.scheduler.SchedulerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Deploys the grid's verticles on a Vertx instance, in dependency order: persistence first
 * (the others read and write through it), then liveness and scheduling, intake and metrics,
 * and HTTP last, so the port opens only once everything behind it answers.
 */
public final class BrainServer {
  private static final System.Logger LOG = System.getLogger(BrainServer.class.getName());
  /** What a node runs: everything, or only HTTP and the bridge (extra edge nodes of a cluster). */
  public enum Role { ALL, EDGE }

  private final Vertx vertx;
  private final List<String> deployments;
  private final HttpVerticle http;
  private final String dashboardLine;
  private final BridgeGuard guard;
  private final Admission admission;
  private final NodeDirectory directory;
  private final long drainMs;

  private BrainServer(Vertx vertx, List<String> deployments, HttpVerticle http, String dashboardLine, BridgeGuard guard,
      Admission admission, NodeDirectory directory, long drainMs) {
    this.vertx = vertx;
    this.deployments = deployments;
    this.http = http;
    this.dashboardLine = dashboardLine;
    this.guard = guard;
    this.admission = admission;
    this.directory = directory;
    this.drainMs = drainMs;
  }

  public static Future<BrainServer> start(Vertx vertx, BrainConfig config) {
    return start(vertx, config, Role.ALL);
  }

  public static Future<BrainServer> start(Vertx vertx, BrainConfig config, Role role) {
    java.util.Optional<String> refused = vertx.isClustered()
        ? brain.persistence.Dialect.refusedInCluster(config.json().getJsonObject("db").getString("url"))
        : java.util.Optional.empty();
    if (refused.isPresent()) {
      return Future.failedFuture(new IllegalStateException(refused.get()));
    }
    Codecs.register(vertx);
    DeploymentOptions options = new DeploymentOptions().setConfig(config.json());
    List<String> ids = new ArrayList<>();
    // The scheduler gets a thread of its own (a one-thread worker pool): it is the busiest
    // single-threaded part, and on an event loop it would share a thread with bridge sockets.
    DeploymentOptions ownThread = new DeploymentOptions(options).setThreadingModel(ThreadingModel.WORKER)
        .setWorkerPoolName("brain-scheduler").setWorkerPoolSize(1);
    // Auth right after persistence: it makes sure an admin token exists before the port opens.
    AuthVerticle auth = new AuthVerticle();
    List<Map.Entry<VerticleBase, DeploymentOptions>> order = role == Role.ALL
        ? List.of(Map.entry(new PersistenceVerticle(), options), Map.entry(auth, options),
            Map.entry(new HeartbeatVerticle(), options),
            Map.entry(new SchedulerVerticle(), ownThread), Map.entry(new JobIntakeVerticle(), options),
            Map.entry(new MetricsVerticle(), options))
        // Database requests and token checks are answered on the node that asks (node-local consumers).
        : List.of(Map.entry(new PersistenceVerticle(), options), Map.entry(auth, options));
    Future<Void> chain = Future.succeededFuture();
    for (Map.Entry<VerticleBase, DeploymentOptions> deployment : order) {
      chain = chain.compose(v -> vertx.deployVerticle(deployment.getKey(), deployment.getValue()).map(id -> {
        ids.add(id);
        return null;
      }));
    }
    BridgeGuard guard = new BridgeGuard(vertx);
    Admission admission = new Admission();
    List<HttpVerticle> http = new java.util.concurrent.CopyOnWriteArrayList<>();
    int instances = httpInstances(config);
    List<NodeDirectory> directory = new ArrayList<>(1);
    return chain
        .compose(v -> vertx.deployVerticle(() -> {
          HttpVerticle instance = new HttpVerticle(guard, admission);
          http.add(instance);
          return instance;
        }, new DeploymentOptions(options).setInstances(instances)))
        .compose(id -> {
          ids.add(id);
          directory.add(directory(vertx, config, guard, role, http.get(0).actualPort()));
          return vertx.deployVerticle(directory.get(0), options);
        })
        .map(directoryId -> {
          ids.add(directoryId);
          String token = auth.createdAdminToken();
          String line = token == null ? null : dashboardLine(config, http.get(0).actualPort(), token);
          BrainServer server = new BrainServer(vertx, ids, http.get(0), line, guard, admission, directory.get(0),
              config.json().getJsonObject("cluster").getLong("drainMs", 5000L));
          LOG.log(System.Logger.Level.INFO, "Distributed Brain listening on http://localhost:" + server.port() + " ("
              + role.name().toLowerCase(java.util.Locale.ROOT) + " node, " + instances + " HTTP instances)");
          if (line != null) {
            // The one place a token is ever shown by the server: on stdout, once, for the person
            // who started it (never in the log). Lost? `token admin` (or create) makes another.
            System.out.println(line);
          }
          return server;
        });
  }

  /** This node's entry in the cluster's node directory: its sockets and workers are the bridge's. */
  private static NodeDirectory directory(Vertx vertx, BrainConfig config, BridgeGuard guard, Role role, int port) {
    JsonObject cluster = config.json().getJsonObject("cluster");
    String url = NodeDirectory.publicUrl(cluster.getString("publicUrl"), config.json().getJsonObject("http").getString("host"),
        cluster.getString("host", "").isBlank() ? NodeDirectory.clusterHost(vertx) : cluster.getString("host"), port);
    return new NodeDirectory(new NodeDirectory.Local() {
      @Override
      public int sockets() {
        return guard.openSockets();
      }

      @Override
      public int workers() {
        return guard.workers();
      }

      @Override
      public boolean scheduler() {
        return brain.election.SchedulerTerm.held(vertx);
      }
    }, url);
  }

  /** The link to the dashboard signed in with {@code token}; a wildcard address is shown as localhost. */
  static String dashboardLine(BrainConfig config, int port, String token) {
    String host = config.json().getJsonObject("http").getString("host", "0.0.0.0");
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.isBlank()) {
      host = "localhost";
    } else if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return "dashboard: http://" + host + ":" + port + "/?token=" + token;
  }

  /**
   * The dashboard line printed at this start (a new admin token was made because the database
   * had none), or empty when none was printed.
   */
  public java.util.Optional<String> dashboardLine() {
    return java.util.Optional.ofNullable(dashboardLine);
  }

  /** {@code http.instances}, or one per core when 0. */
  private static int httpInstances(BrainConfig config) {
    int configured = config.json().getJsonObject("http").getInteger("instances", 0);
    return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
  }

  public int port() {
    return http.actualPort();
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The HTTP router (of the first HTTP instance; all mount the same routes): the contract test reads its routes. */
  public io.vertx.ext.web.Router router() {
    return http.router();
  }

  /** The API's operations (built from openapi.yaml, mounted inside {@link #router()}). */
  public io.vertx.ext.web.Router apiRouter() {
    return http.apiRouter();
  }

  /**
   * Before a stop (SIGTERM): this node refuses API requests that change something (503, {@link
   * Admission}), leaves the node list, refuses new sockets, tells its workers to move to the other
   * nodes, and waits until they have gone and the API requests under way have been answered, or
   * {@code cluster.drainMs} has passed. Completes with the number of workers that had not gone.
   */
  public Future<Integer> drain() {
    Future<Void> answered = admission.stop(vertx, drainMs);
    return directory.leave()
        .compose(v -> {
          JsonArray others = NodeDirectory.urls(vertx);
          LOG.log(System.Logger.Level.INFO, "draining: " + guard.workers() + " workers here, moving them to " + others);
          Promise<Integer> bounded = Promise.promise();
          long timer = vertx.setTimer(Math.max(1, drainMs), id -> bounded.tryComplete(guard.workers()));
          guard.drain(others).onComplete(ar -> {
            vertx.cancelTimer(timer);
            bounded.tryComplete(guard.workers());
          });
          return bounded.future();
        })
        .compose(left -> answered.map(left));
  }

  /** API requests that change something, under way on this node ({@link Admission}). */
  public int apiRequestsUnderWay() {
    return admission.underWay();
  }

  /** {@code cluster.drainMs}: how long a drain waits for the workers to move. */
  public long drainBoundMs() {
    return drainMs;
  }

  /** This node's id in the cluster ({@link NodeId}). */
  public String nodeId() {
    return NodeId.of(vertx);
  }

  /** Undeploys in reverse order: HTTP closes first, persistence last. */
  public Future<Void> stop() {
    Future<Void> chain = Future.succeededFuture();
    for (int i = deployments.size() - 1; i >= 0; i--) {
      String id = deployments.get(i);
      chain = chain.compose(v -> vertx.undeploy(id));
    }
    return chain;
  }
}

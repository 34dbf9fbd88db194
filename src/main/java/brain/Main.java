package brain;

import brain.cluster.ClusterConfig;
import brain.config.BrainConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar distributed-brain.jar [serve]}: the command line. Argument parsing is
 * picocli's (a well-kept, dependency-free library): sub-commands, help and errors for free.
 */
@Command(name = "distributed-brain", mixinStandardHelpOptions = true, version = "Distributed Brain 0.1",
    description = "A compute grid made of browser tabs.",
    subcommands = {Main.Serve.class, WorkerCommand.class, brain.bench.BenchCommand.class, TokenCommand.class,
        brain.cli.SubmitCommand.class, brain.cli.JobCommands.Status.class, brain.cli.JobCommands.Result.class, brain.cli.JobCommands.Cancel.class, brain.cli.JobCommands.Jobs.class})
public final class Main implements Callable<Integer> {

  public static void main(String[] args) {
    Logs.configure();
    CommandLine cli = new CommandLine(new Main());
    int code = cli.execute(withDefaultCommand(args));
    if (code != 0) {
      System.exit(code);
    }
  }

  /** No sub-command (nothing, or only serve's options such as --port): serve. */
  static String[] withDefaultCommand(String[] args) {
    boolean help = args.length > 0 && java.util.List.of("-h", "--help", "-V", "--version").contains(args[0]);
    if (args.length == 0 || (args[0].startsWith("-") && !help)) {
      String[] withServe = new String[args.length + 1];
      withServe[0] = "serve";
      System.arraycopy(args, 0, withServe, 1, args.length);
      return withServe;
    }
    return args;
  }

  @Override
  public Integer call() {
    return new CommandLine(new Serve()).execute();
  }

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Run the server: REST API, dashboard, worker page and the event-bus bridge (default).")
  static final class Serve implements Callable<Integer> {
    @Option(names = "--config", description = "JSON file merged over the defaults in config/brain.json.")
    Path configFile;

    @Option(names = "--port", description = "HTTP port (default 3001; env PORT or BRAIN_HTTP_PORT).")
    Integer port;

    @Option(names = "--cluster", description = "Join a Hazelcast cluster (config/cluster.xml, or -Dvertx.hazelcast.config).")
    boolean cluster;

    @Option(names = "--role", description = "With --cluster: ALL (the one node with the scheduler and database) or EDGE "
        + "(HTTP and bridge only, for more sockets). Default ALL.")
    BrainServer.Role role = BrainServer.Role.ALL;

    @Override
    public Integer call() throws Exception {
      BrainConfig config = BrainConfig.load(System.getenv(), configFile);
      if (port != null) {
        config = config.with("http.port", port);
      }
      // Refused before joining: a node on SQLite would split or corrupt the grid's data.
      java.util.Optional<String> refused = cluster
          ? brain.persistence.Dialect.refusedInCluster(config.json().getJsonObject("db").getString("url"))
          : java.util.Optional.empty();
      if (refused.isPresent()) {
        System.err.println("Distributed Brain could not start: " + refused.get());
        return 2;
      }
      // Metrics on (GET /metrics): Vert.x's own meters and the grid's, on this node's Prometheus registry.
      brain.metrics.NodeMetrics metrics = brain.metrics.NodeMetrics.create();
      Vertx vertx = metrics.attach(cluster ? clustered(config, metrics) : metrics.builder(new VertxOptions()).build());
      BrainConfig settings = config;
      BrainServer server = BrainServer.start(vertx, settings, cluster ? role : BrainServer.Role.ALL)
          .onFailure(err -> {
            System.err.println("Distributed Brain could not start: " + err.getMessage());
            vertx.close();
          })
          .await(2, TimeUnit.MINUTES);
      Shutdown shutdown = new Shutdown(server, vertx);
      Runtime.getRuntime().addShutdownHook(new Thread(shutdown::run, "shutdown"));
      shutdown.onSigterm();
      Thread.currentThread().join();
      return 0;
    }

    /** A Hazelcast node: the settings file, then BRAIN_CLUSTER_* (see {@link ClusterConfig}). */
    private static Vertx clustered(BrainConfig config, brain.metrics.NodeMetrics metrics) throws Exception {
      java.util.Map<String, String> env = System.getenv();
      VertxOptions options = new VertxOptions();
      String host = ClusterConfig.eventBusHost(env);
      if (host != null) {
        options.getEventBusOptions().setHost(host);
      }
      String dbUrl = config.json().getJsonObject("db").getString("url");
      return metrics.builder(options).withClusterManager(new HazelcastClusterManager(ClusterConfig.load(env, dbUrl)))
          .buildClustered().await(2, TimeUnit.MINUTES);
    }
  }
}

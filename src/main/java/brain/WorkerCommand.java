package brain;

import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import brain.worker.MatrixEngine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code worker --server URL}: lend this machine's CPU to a grid, without a browser. */
@Command(name = "worker", mixinStandardHelpOptions = true,
    description = "Join a grid as a headless worker: same bridge and protocol as the worker tab, CPU engine "
        + "(OpenBLAS, native; EJML, pure Java, where OpenBLAS cannot load).")
final class WorkerCommand implements Callable<Integer> {
  @Option(names = "--server", required = true, description = "The grid, e.g. http://localhost:3001 or https://grid.example.org")
  URI server;

  @Option(names = "--threads", description = "CPU threads for the engine (default: all cores).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--engine", paramLabel = "blas|ejml|auto", description = "blas: OpenBLAS (native), or fail; "
      + "ejml: pure Java; auto: OpenBLAS if it loads, else EJML, saying why (default: -Dbrain.engine, the variable "
      + "BRAIN_ENGINE, else auto). BRAIN_NO_NATIVE=1 or -Dbrain.noNative=true keeps OpenBLAS out.")
  String engineChoice;

  @Option(names = "--name", description = "Display name on the leaderboard (default: host name).")
  String name;

  @Option(names = "--slots", description = "Chunks held at once (1-8, default 2).")
  int slots = 2;

  @Option(names = "--memory", paramLabel = "BYTES", description = "Memory budget for one chunk's inputs and output "
      + "(A panel, B panel, C block), e.g. 32m, 1g; jobs larger are cut into 2-D blocks that fit "
      + "(default: a quarter of this JVM's heap, shared by --count workers).")
  String memory;

  @Option(names = "--id", description = "Stable worker id (default: kept in ~/.distributed-brain/worker-id).")
  String workerId;

  @Option(names = "--count", description = "Workers to run in this process (load tests; default 1).")
  int count = 1;

  @Option(names = "--key", description = "The worker key of a private grid (default: the BRAIN_WORKER_KEY variable).")
  String key;

  @Option(names = "--token",
      description = "A requestor's or admin's token, which also admits this worker to a private grid (default: BRAIN_TOKEN).")
  String token;

  @Option(names = "--answer-without-computing",
      description = "Answer every chunk with zeros of the right size (load tests of a server whose chunk check is off).")
  boolean answering;

  @Override
  public Integer call() throws Exception {
    boolean tls = "https".equalsIgnoreCase(server.getScheme()) || "wss".equalsIgnoreCase(server.getScheme());
    int port = server.getPort() > 0 ? server.getPort() : tls ? 443 : 80;
    String host = server.getHost();
    String displayName = name != null ? name : InetAddress.getLocalHost().getHostName();
    String id = workerId != null ? workerId : storedWorkerId();
    MatrixEngine engine;
    try {
      engine = answering ? Engines.answering()
          : Engines.select(Engines.Choice.parse(engineChoice), Math.max(1, threads));
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("worker: " + e.getMessage() + " (--engine auto falls back to EJML)");
      return 2;
    }
    System.out.println("engine: " + engine.description());

    Vertx vertx = Vertx.vertx();
    WebSocketClient sockets = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(100_000)
        .setMaxMessageSize(64 * 1024 * 1024).setMaxFrameSize(64 * 1024 * 1024));
    List<HeadlessWorker> workers = new ArrayList<>();
    List<Future<HeadlessWorker>> starting = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String suffix = count > 1 ? "-" + i : "";
      HeadlessWorker.Options options = new HeadlessWorker.Options(host, port, tls, id + suffix, displayName + suffix,
          Math.max(1, Math.min(8, slots)), engine, true, key != null ? key : System.getenv("BRAIN_WORKER_KEY"),
          token != null ? token : System.getenv("BRAIN_TOKEN")).withMemory(memoryBudget());
      starting.add(HeadlessWorker.deploy(vertx, sockets, options).onSuccess(w -> {
        synchronized (workers) {
          workers.add(w);
        }
      }));
    }
    System.out.printf("joining %s as %s (%s), %d worker%s, %d slots each%n", server, displayName,
        engine.description(), count, count == 1 ? "" : "s", slots);
    long[] last = {0};
    vertx.setPeriodic(5000, t -> {
      long done;
      long connected;
      synchronized (workers) {
        done = workers.stream().mapToLong(HeadlessWorker::chunksDone).sum();
        connected = workers.stream().filter(HeadlessWorker::isConnected).count();
      }
      System.out.printf("%tT  connected %d/%d  chunks done %d (+%d in 5 s)%n", System.currentTimeMillis(), connected,
          count, done, done - last[0]);
      last[0] = done;
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> vertx.close(), "worker-shutdown"));
    Future.join(starting).onComplete(ar -> System.out.println(ar.succeeded()
        ? "all workers registered; computing as chunks arrive (Ctrl-C to stop)"
        : "some workers could not register yet; they keep retrying"));
    Thread.currentThread().join();
    return 0;
  }

  /** The same id across runs, so this machine's contribution adds up on the leaderboard. */
  private static String storedWorkerId() throws IOException {
    Path file = Path.of(System.getProperty("user.home"), ".distributed-brain", "worker-id");
    if (Files.isRegularFile(file)) {
      String id = Files.readString(file).trim();
      if (id.matches("[A-Za-z0-9_-]{8,60}")) {
        return id;
      }
    }
    String id = "w-" + UUID.randomUUID();
    Files.createDirectories(file.getParent());
    Files.writeString(file, id + System.lineSeparator());
    return id;
  }

  /** {@code --memory} (a number with an optional k, m or g suffix), or a quarter of the heap per worker. */
  long memoryBudget() {
    if (memory == null) {
      return Math.max(1 << 20, Runtime.getRuntime().maxMemory() / 4 / Math.max(1, count));
    }
    String text = memory.trim().toLowerCase(java.util.Locale.ROOT);
    long unit = switch (text.isEmpty() ? ' ' : text.charAt(text.length() - 1)) {
      case 'k' -> 1L << 10;
      case 'm' -> 1L << 20;
      case 'g' -> 1L << 30;
      default -> 1;
    };
    String digits = unit == 1 ? text : text.substring(0, text.length() - 1);
    try {
      long bytes = Math.multiplyExact(Long.parseLong(digits), unit);
      if (bytes >= 1024) {
        return bytes;
      }
    } catch (NumberFormatException | ArithmeticException e) {
      // falls through to the error below
    }
    throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
        "--memory must be a number of bytes of at least 1024, with an optional k, m or g suffix, not " + memory);
  }
}

package brain.testing;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A grid node as a real process: {@code java -cp <test classpath> brain.Main serve [--cluster]}
 * with its own configuration file and environment (database URL, HTTP port 0, cluster name,
 * {@code BRAIN_CLUSTER_HOST=127.0.0.1}, its Hazelcast port and its peers'). {@link #start()}
 * returns once it listens (the port read from its "listening" line). Signals for fault tests:
 * {@link #kill9()}, {@link #sigstop()}/{@link #sigcont()}, {@link #sigterm()}; its output is
 * kept for assertions ("no stack trace") and echoed with its pid.
 */
public final class NodeProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("listening on http://localhost:(\\d+)");
  /** A line of a Java stack trace, or the "Caused by" of one. */
  private static final Pattern STACK_LINE = Pattern.compile("^\\s+at [\\w$.]+\\(.*\\)$|^Caused by: ");

  private final Path dir;
  private final String name;
  private final List<String> args = new ArrayList<>();
  private final Map<String, String> env = new HashMap<>();
  private final JsonObject config = new JsonObject();
  private final List<String> lines = new ArrayList<>();
  private final List<Map.Entry<Predicate<String>, CompletableFuture<String>>> waiters = new ArrayList<>();
  private final int clusterPort;
  private Process process;
  private int port;

  /**
   * A node named {@code name} (for its output) with files under {@code dir}, the database
   * {@code dbUrl} and the admin token of {@link TestGrid}; not started.
   */
  public NodeProcess(Path dir, String name, String dbUrl) throws IOException {
    this.dir = Files.createDirectories(dir.resolve(name));
    this.name = name;
    this.clusterPort = freePort();
    config.put("db", new JsonObject().put("url", dbUrl))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("instances", 1))
        .put("storage", new JsonObject().put("dir", dir.resolve("matrices").toString()))
        .put("auth", new JsonObject().put("adminToken", TestGrid.ADMIN_TOKEN));
  }

  /** Joins cluster {@code clusterName} on loopback, with {@code peers} as the other members. */
  public NodeProcess cluster(String clusterName, NodeProcess... peers) {
    args.add("--cluster");
    env.put("BRAIN_CLUSTER_NAME", clusterName);
    env.put("BRAIN_CLUSTER_HOST", "127.0.0.1");
    env.put("BRAIN_CLUSTER_PORT", String.valueOf(clusterPort));
    List<String> members = new ArrayList<>(List.of("127.0.0.1:" + clusterPort));
    for (NodeProcess peer : peers) {
      members.add("127.0.0.1:" + peer.clusterPort);
    }
    env.put("BRAIN_CLUSTER_MEMBERS", String.join(",", members));
    return this;
  }

  /** Extra arguments of the serve command ({@code --role EDGE}). */
  public NodeProcess args(String... more) {
    args.addAll(List.of(more));
    return this;
  }

  /** A setting merged into its configuration file ({@code "cluster", {"drainMs": 3000}}). */
  public NodeProcess config(String section, JsonObject values) {
    JsonObject existing = config.getJsonObject(section, new JsonObject());
    config.put(section, existing.mergeIn(values));
    return this;
  }

  public NodeProcess env(String key, String value) {
    env.put(key, value);
    return this;
  }

  /** Starts the process; returns once it listens, or fails after {@code timeoutSeconds}. */
  public NodeProcess start(int timeoutSeconds) throws Exception {
    Path file = dir.resolve("brain.json");
    Files.writeString(file, config.encode());
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    // The module flags Hazelcast wants (surefire's argLine), and a small, quick JVM.
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-")).forEach(command::add);
    command.addAll(List.of("-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), "brain.Main", "serve", "--config", file.toString()));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("BRAIN_") || k.equals("PORT"));
    builder.environment().putAll(env);
    process = builder.start();
    Thread reader = new Thread(this::read, "node-" + name + "-output");
    reader.setDaemon(true);
    reader.start();
    String line = awaitLine(l -> LISTENING.matcher(l).find(), timeoutSeconds);
    Matcher m = LISTENING.matcher(line);
    m.find();
    port = Integer.parseInt(m.group(1));
    return this;
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        System.out.println("[" + name + " " + process.pid() + "] " + line);
        synchronized (this) {
          lines.add(line);
          String l = line;
          waiters.removeIf(w -> w.getKey().test(l) && w.getValue().complete(l));
        }
      }
    } catch (IOException e) {
      // The process is gone: its stream closed.
    }
    synchronized (this) {
      waiters.forEach(w -> w.getValue().completeExceptionally(new IllegalStateException(name + " exited")));
      waiters.clear();
    }
  }

  /** The first output line (already printed or to come) that {@code matches}. */
  public String awaitLine(Predicate<String> matches, int timeoutSeconds) throws Exception {
    CompletableFuture<String> found = new CompletableFuture<>();
    synchronized (this) {
      lines.stream().filter(matches).findFirst().ifPresentOrElse(found::complete,
          () -> waiters.add(Map.entry(matches, found)));
    }
    try {
      return found.get(timeoutSeconds, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError(name + ": no such line within " + timeoutSeconds + " s; output:\n" + output());
    }
  }

  public int port() {
    return port;
  }

  /** http://127.0.0.1:port */
  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public long pid() {
    return process.pid();
  }

  public synchronized String output() {
    return String.join("\n", lines);
  }

  /** The lines of stack traces in its output (none expected from a node whose peer died). */
  public synchronized List<String> stackTraceLines() {
    return lines.stream().filter(l -> STACK_LINE.matcher(l).find()).toList();
  }

  /** SIGKILL: no shutdown hook, no goodbye to the cluster. Returns once it is gone. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  public void sigstop() throws Exception {
    signal("STOP");
  }

  public void sigcont() throws Exception {
    signal("CONT");
  }

  /** SIGTERM, then waits (up to {@code timeoutSeconds}) for the exit; its exit code. */
  public int sigterm(int timeoutSeconds) throws Exception {
    signal("TERM");
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      throw new AssertionError(name + " did not exit within " + timeoutSeconds + " s of SIGTERM");
    }
    return process.exitValue();
  }

  private void signal(String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
    }
  }

  /** The exit code of a process that has exited. */
  public int exitCode() {
    return process.exitValue();
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}

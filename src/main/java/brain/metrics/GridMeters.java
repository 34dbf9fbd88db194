package brain.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * The grid's own meters on a node's registry: chunks dispatched, accepted, refused and reassigned,
 * the time from a chunk's dispatch to its accepted result, bytes of bridge frames, and gauges of
 * workers (by engine and state) and jobs (by status) refreshed from what the scheduler and the
 * database report each second. Counters count on the node where it happens (chunks on the
 * scheduler's node, bytes on every node); Prometheus adds the nodes up.
 */
public final class GridMeters {
  private static final Map<Vertx, GridMeters> BY_NODE = Collections.synchronizedMap(new WeakHashMap<>());
  private static final List<String> JOB_STATUSES = List.of("queued", "running", "completed", "failed", "cancelled");

  private final PrometheusMeterRegistry registry;
  private final Counter dispatched;
  private final Counter reassigned;
  private final Counter accepted;
  private final Timer latency;
  private final Counter bytesIn;
  private final Counter dataIn;
  private final Counter dataOut;
  private final Counter bytesOut;
  private final MultiGauge workers;
  private final MultiGauge jobs;

  private GridMeters(PrometheusMeterRegistry registry) {
    this.registry = registry;
    dispatched = Counter.builder("brain.chunks.dispatched").description("chunk leases sent to workers, copies included")
        .register(registry);
    reassigned = Counter.builder("brain.chunks.reassigned")
        .description("chunks sent again after a lost, refused or expired lease").register(registry);
    accepted = Counter.builder("brain.chunks.accepted").description("chunk results checked and accepted").register(registry);
    latency = Timer.builder("brain.chunks.dispatch.latency")
        .description("from a chunk's dispatch to its result arriving, for accepted results")
        .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60))
        .register(registry);
    bytesIn = socketBytes("in");
    bytesOut = socketBytes("out");
    dataIn = dataBytes("in");
    dataOut = dataBytes("out");
    workers = MultiGauge.builder("brain.workers").description("workers in the scheduler's pool, by engine and state")
        .register(registry);
    jobs = MultiGauge.builder("brain.jobs").description("jobs by status (queued and running: the scheduler's; "
        + "the others: the database's)").register(registry);
  }

  private Counter socketBytes(String direction) {
    return Counter.builder("brain.bridge.bytes").baseUnit("bytes").tag("direction", direction)
        .description("bytes of event-bus bridge frames on this node's sockets (workers and dashboards), "
            + "estimated from the parsed frames").register(registry);
  }

  private Counter dataBytes(String direction) {
    return Counter.builder("brain.data.bytes").baseUnit("bytes").tag("direction", direction)
        .description("bytes of chunk payloads on this node's data plane: inputs fetched (out), results uploaded (in)")
        .register(registry);
  }

  /** The meters of a node (its Vertx). */
  public static GridMeters of(Vertx vertx) {
    return BY_NODE.computeIfAbsent(vertx, v -> new GridMeters(NodeMetrics.registry(v)));
  }

  /** The registry these meters are on (GET /metrics renders it). */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** A lease went out; {@code again}: its chunk had been out before (not a speculative copy). */
  public void dispatched(boolean again) {
    dispatched.increment();
    if (again) {
      reassigned.increment();
    }
  }

  /** A result was accepted, {@code roundTripMs} after its lease went out. */
  public void accepted(double roundTripMs) {
    accepted.increment();
    latency.record(Duration.ofNanos((long) (roundTripMs * 1e6)));
  }

  /** A lease ended without an accepted result: {@code why} is rejected, failed or expired (a few fixed words). */
  public void refused(String why) {
    Counter.builder("brain.chunks.refused").description("chunk leases ended without an accepted result, by why")
        .tag("why", why).register(registry).increment();
  }

  public void socketBytes(boolean outbound, long bytes) {
    (outbound ? bytesOut : bytesIn).increment(bytes);
  }

  public void dataBytes(boolean outbound, long bytes) {
    (outbound ? dataOut : dataIn).increment(bytes);
  }

  /** The workers list ({workers: [{engine, state, ...}]}) as counts per engine and state. */
  public void workers(JsonObject list) {
    Map<List<String>, Integer> counts = new TreeMap<>(java.util.Comparator.comparing(Object::toString));
    JsonArray all = list.getJsonArray("workers", new JsonArray());
    for (int i = 0; i < all.size(); i++) {
      JsonObject w = all.getJsonObject(i);
      counts.merge(List.of(String.valueOf(w.getString("engine", "unknown")), String.valueOf(w.getString("state", "unknown"))),
          1, Integer::sum);
    }
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    counts.forEach((key, n) -> rows.add(MultiGauge.Row.of(Tags.of("engine", key.get(0), "state", key.get(1)), n)));
    workers.register(rows, true);
  }

  /** Job counts from the health figures (jobsInQueue, jobsRunning, jobsCompleted, jobsFailed, jobsCancelled). */
  public void jobs(JsonObject health) {
    long[] n = {health.getLong("jobsInQueue", 0L), health.getLong("jobsRunning", 0L), health.getLong("jobsCompleted", 0L),
        health.getLong("jobsFailed", 0L), health.getLong("jobsCancelled", 0L)};
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (int i = 0; i < n.length; i++) {
      rows.add(MultiGauge.Row.of(Tags.of("status", JOB_STATUSES.get(i)), n[i]));
    }
    jobs.register(rows, true);
  }

  /** A gauge read from {@code value} at each scrape (e.g. the scheduler lease's holder and fencing number). */
  public void gauge(String name, String description, Tags tags, Supplier<Number> value) {
    Gauge.builder(name, value).description(description).tags(tags).strongReference(true).register(registry);
  }
}

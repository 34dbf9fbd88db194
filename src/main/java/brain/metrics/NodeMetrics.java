package brain.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A node's Prometheus registry, fed by Vert.x's own meters (HTTP server, event bus, pools) through
 * vertx-micrometer-metrics, and by the grid's ({@link GridMeters}). Build the Vertx through
 * {@link #builder}, then {@link #attach} it: {@code GET /metrics} finds the registry by its Vertx.
 */
public final class NodeMetrics {
  private static final Map<Vertx, PrometheusMeterRegistry> REGISTRIES = Collections.synchronizedMap(new WeakHashMap<>());
  /** vertx-micrometer-metrics shares a registry between Vertx instances of one name: each node gets its own. */
  private static final AtomicInteger NAMES = new AtomicInteger();

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final String name = "brain-" + NAMES.incrementAndGet();

  private NodeMetrics() {}

  public static NodeMetrics create() {
    return new NodeMetrics();
  }

  /** A plain (not clustered) Vertx with metrics on, attached. */
  public static Vertx vertx() {
    NodeMetrics metrics = create();
    return metrics.attach(metrics.builder(new VertxOptions()).build());
  }

  /** A builder whose Vertx reports to this registry; add a cluster manager to it as needed. */
  public VertxBuilder builder(VertxOptions options) {
    // Default labels: no event-bus address label (a worker's private address would be one series per socket).
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions().setEnabled(true).setRegistryName(name)
        .setJvmMetricsEnabled(true); // memory, GC, threads: jvm_*
    return Vertx.builder().with(options.setMetricsOptions(metrics)).withMetrics(new MicrometerMetricsFactory(registry));
  }

  /** Remembers the built Vertx's registry; returns the Vertx. */
  public Vertx attach(Vertx vertx) {
    REGISTRIES.put(vertx, registry);
    return vertx;
  }

  /**
   * The registry of a Vertx built here; one without Vert.x's meters for a Vertx built otherwise
   * (tools and tests), so the grid's meters always have a home.
   */
  static PrometheusMeterRegistry registry(Vertx vertx) {
    return REGISTRIES.computeIfAbsent(vertx, v -> new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }
}

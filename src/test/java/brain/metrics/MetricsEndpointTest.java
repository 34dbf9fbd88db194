package brain.metrics;

import static org.junit.jupiter.api.Assertions.*;

import brain.bus.Addresses;
import brain.testing.TestGrid;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** GET /metrics on a real server after a real job: Vert.x's own meters and the grid's, with the job's figures. */
@Timeout(90)
class MetricsEndpointTest {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE);

  @Test
  @DisplayName("after a job of 9 chunks on 2 workers: 9 accepted, 9 latencies, bytes both ways, workers and jobs gauges, "
      + "Vert.x HTTP server meters; 401 without a token")
  void jobFiguresAppear() throws Exception {
    try (TestGrid grid = TestGrid.start()) {
      grid.worker("m-alice");
      grid.worker("m-bob");
      String id;
      try (TestGrid.JobWatch watch = grid.watch()) {
        id = grid.submit("{\"rowsA\":90,\"colsA\":40,\"colsB\":30,\"chunkRows\":10}");
        assertEquals("completed", watch.finished(id).getString("status"));
      }
      assertEquals(9, grid.job(id).getInteger("chunksTotal"));
      // The gauges refresh each second, before the workers feed is published: hear one publication, then scrape.
      awaitFeed(grid, Addresses.UI_WORKERS);
      awaitFeed(grid, Addresses.UI_HEALTH);

      HttpResponse<String> scraped = grid.get("/metrics");
      assertEquals(200, scraped.statusCode(), scraped.body());
      assertEquals("text/plain; version=0.0.4; charset=utf-8", scraped.headers().firstValue("content-type").orElse(null));
      String text = scraped.body();
      assertEquals(9.0, value(text, "brain_chunks_accepted_total", ""), text);
      assertEquals(9.0, value(text, "brain_chunks_dispatch_latency_seconds_count", ""));
      assertTrue(value(text, "brain_chunks_dispatched_total", "") >= 9.0);
      assertEquals(0.0, value(text, "brain_chunks_reassigned_total", ""), "nothing was lost or refused");
      assertEquals(1.0, value(text, "brain_scheduler_lease_held", ""), "the single node holds the scheduler's lease");
      assertTrue(value(text, "brain_scheduler_fence", "") >= 1.0, "with a fencing number");
      // Payloads travel on the data plane (worker protocol 2), control on the sockets.
      assertEquals(9 * 10 * 30 * 4, value(text, "brain_data_bytes_total", "direction=\"in\""),
          "exactly the results' float32 values were uploaded");
      assertTrue(value(text, "brain_data_bytes_total", "direction=\"out\"") >= 90 * 40 * 4 + 40 * 30 * 4,
          "A and B went out at least once");
      assertTrue(value(text, "brain_bridge_bytes_total", "direction=\"in\"") > 0, "registrations and heartbeats came in");
      assertTrue(value(text, "brain_bridge_bytes_total", "direction=\"out\"") > 0, "chunk messages went out");
      assertEquals(2.0, sum(text, "brain_workers"), "two workers, by engine and state: " + lines(text, "brain_workers"));
      assertTrue(lines(text, "brain_workers").contains("state=\"idle\""), lines(text, "brain_workers"));
      assertEquals(1.0, value(text, "brain_jobs", "status=\"completed\""));
      assertEquals(0.0, value(text, "brain_jobs", "status=\"running\""));
      assertTrue(sum(text, "vertx_http_server_requests_total") >= 3, "Vert.x's HTTP server meters: "
          + lines(text, "vertx_http_server_requests_total"));
      assertTrue(text.contains("vertx_eventbus_"), "Vert.x's event-bus meters");
      assertTrue(text.contains("jvm_memory_used_bytes"), "the JVM's meters");
      assertFalse(Pattern.compile("address=\"brain\\.worker\\.to\\.client\\.[A-Za-z0-9_-]{22}\"").matcher(text).find(),
          "a worker's private address is not a label value of its own");

      assertEquals(401, grid.anonymous().get("/metrics").statusCode());
      HttpResponse<String> openMetrics = grid.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(grid.baseUrl() + "/metrics")).header("accept", "application/openmetrics-text; version=1.0.0")
          .build());
      assertTrue(openMetrics.headers().firstValue("content-type").orElse("").startsWith("application/openmetrics-text"));
      assertTrue(openMetrics.body().trim().endsWith("# EOF"), "OpenMetrics ends with # EOF");
    }
  }

  @Test
  @DisplayName("auth.public.metrics opens GET /metrics without a token")
  void publicWhenConfigured() {
    try (TestGrid grid = TestGrid.start(Map.of("auth.public.metrics", true))) {
      HttpResponse<String> scraped = grid.anonymous().get("/metrics");
      assertEquals(200, scraped.statusCode(), scraped.body());
      assertTrue(scraped.body().contains("brain_chunks_accepted_total 0.0"), scraped.body());
    }
  }

  private static void awaitFeed(TestGrid grid, String address) {
    Promise<Void> heard = Promise.promise();
    var consumer = grid.vertx().eventBus().<JsonObject>consumer(address, m -> heard.tryComplete());
    TestGrid.await(heard.future());
    TestGrid.await(consumer.unregister());
  }

  /** The value of the one sample of {@code name} whose labels contain {@code labels}. */
  private static double value(String text, String name, String labels) {
    Matcher m = SAMPLE.matcher(text);
    while (m.find()) {
      if (m.group(1).equals(name) && (m.group(2) == null ? "" : m.group(2)).contains(labels)) {
        return Double.parseDouble(m.group(3));
      }
    }
    throw new AssertionError("no sample " + name + "{" + labels + "} in:\n" + text);
  }

  private static double sum(String text, String name) {
    double total = 0;
    Matcher m = SAMPLE.matcher(text);
    while (m.find()) {
      if (m.group(1).equals(name)) {
        total += Double.parseDouble(m.group(3));
      }
    }
    return total;
  }

  private static String lines(String text, String name) {
    StringBuilder out = new StringBuilder();
    for (String line : text.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }
}

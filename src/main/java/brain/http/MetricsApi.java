package brain.http;

import brain.metrics.GridMeters;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /metrics}: this node's meters in Prometheus' text format (OpenMetrics when the
 * scraper asks for it). They show load and job counts, so they need an admin token unless
 * {@code auth.public.metrics} opens them (a scraper on a private network). Not open from loopback
 * alone: behind a reverse proxy on the same host every request comes from loopback.
 */
final class MetricsApi {
  static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
  static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

  private final Vertx vertx;

  MetricsApi(Vertx vertx) {
    this.vertx = vertx;
  }

  void mount(Router router, ApiAuth auth, boolean open) {
    if (open) {
      router.get("/metrics").handler(this::scrape);
    } else {
      router.get("/metrics").handler(auth.authentication()).handler(ApiAuth.adminOnly()).handler(this::scrape);
    }
  }

  private void scrape(RoutingContext ctx) {
    String accept = ctx.request().getHeader("accept");
    String type = accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS : TEXT;
    // Rendering walks every meter: on a worker thread, not the event loop.
    vertx.executeBlocking(() -> GridMeters.of(vertx).registry().scrape(type), false)
        .onSuccess(text -> ctx.response().putHeader("content-type", type).putHeader("cache-control", "no-store").end(text))
        .onFailure(ctx::fail);
  }
}

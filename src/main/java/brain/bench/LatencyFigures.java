package brain.bench;

import static brain.bench.BenchGrid.await;

import brain.bus.Addresses;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Latency figures of the benchmark: dispatch (server send → worker receive) and reassignment
 * (socket close → chunk re-sent). Both need the server's event bus, so only an in-process server.
 */
final class LatencyFigures extends Figures {
  LatencyFigures(Bench.Sink sink) {
    super(sink);
  }

  /**
   * Server send → worker receive, per chunk: an outbound interceptor stamps the send, the
   * worker its receipt (same clock, same process). Paced: each worker answers after a simulated
   * compute time (±50 % jitter) chosen so the grid is offered {@value #PACED_LOAD} chunks/s, below
   * saturation, where latency is the cost of dispatch itself. Saturated: answers come at once,
   * and latency is the queue (outstanding chunks ÷ throughput).
   */
  void dispatchLatency(BenchGrid grid) {
    if (!grid.inProcess()) {
      rows.add(new Bench.Row("dispatch latency", "W = 1 … 1,000", "n/a (needs the server in this process)", "p99 ≤ 5 ms",
          "< 100 ms", null));
      return;
    }
    Map<String, Long> sent = new ConcurrentHashMap<>();
    io.vertx.core.Handler<DeliveryContext<Object>> stamp = ctx -> {
      if (ctx.message().address().startsWith(Addresses.WORKER_PRIVATE_PREFIX)
          && ctx.message().body() instanceof JsonObject body && "chunk".equals(body.getString("type"))) {
        sent.put(body.getString("assignmentId"), System.nanoTime());
      }
      ctx.next();
    };
    grid.serverVertx().eventBus().addOutboundInterceptor(stamp);
    JsonObject figures = new JsonObject();
    try {
      int[] sizes = options.quick() ? new int[] {1, 20, 200} : new int[] {1, 20, 200, 1000};
      for (int w : sizes) {
        long thinkMs = Math.max(20, w * 1000L / PACED_LOAD);
        // Many workers: one unmeasured job first (the JIT's and the heap's warm-up for that many
        // sockets), then several measured; few workers: one job, already long enough.
        int measured = w >= 200 ? options.repeats() : 1;
        Stats[] paced = latency(grid, sent, w, thinkMs, 5, w >= 200, measured);
        figures.put("paced-" + w, Bench.json(paced[0]).put("thinkMs", thinkMs).put("jobs", measured)
            .put("afterStart", Bench.json(paced[1])).put("warmUpJob", paced[2] == null ? null : Bench.json(paced[2])));
        rows.add(new Bench.Row("dispatch latency", String.format(Locale.ROOT,
                "W = %,d, paced: %d ms ± 50 %% per chunk (%,d chunks/s offered)%s", w, thinkMs, w * 1000 / thinkMs,
                measured > 1 ? String.format(Locale.ROOT, ", %d jobs after a warm-up job", measured) : ""),
            String.format(Locale.ROOT, "p50 %.2f ms, p99 %.2f ms; after the start burst p99 %.2f ms%s", paced[0].p50(),
                paced[0].p99(), paced[1].p99(),
                paced[2] == null ? "" : String.format(Locale.ROOT, " (warm-up job: p99 %.2f ms)", paced[2].p99())),
            "p99 ≤ 5 ms" + (w == sizes[sizes.length - 1] ? "" : " (at 1,000)"), "< 100 ms",
            w == 1000 ? paced[0].p99() <= 5 : null));
      }
      int w = sizes[sizes.length - 1];
      Stats[] saturated = latency(grid, sent, w, 0, 10, false, 1);
      figures.put("saturated-" + w, Bench.json(saturated[0]));
      rows.add(new Bench.Row("dispatch latency", String.format(Locale.ROOT, "W = %,d, saturated: answers at once", w),
          String.format(Locale.ROOT, "p50 %.2f ms, p99 %.2f ms", saturated[0].p50(), saturated[0].p99()),
          "(queueing: see throughput)", "n/a", null));
    } finally {
      grid.serverVertx().eventBus().removeOutboundInterceptor(stamp);
    }
    results.put("dispatchLatencyMs", figures);
  }

  private static final int PACED_LOAD = 2000;

  /**
   * Jobs of {@code perWorker} tiny chunks per worker, on the same workers: an unmeasured one first
   * when {@code warmUp}, then {@code measured} ones. Answers the latencies of every measured chunk,
   * of every one but each worker's first in its job (those all leave at once when a job starts),
   * and the warm-up job's (null without one).
   */
  Stats[] latency(BenchGrid grid, Map<String, Long> sent, int w, long thinkMs, int perWorker, boolean warmUp,
      int measured) {
    progress.accept("dispatch latency with " + w + " workers" + (thinkMs > 0 ? ", " + thinkMs + " ms per chunk" : ", saturated")
        + (warmUp ? ", a warm-up job and " + measured + " measured" : "") + " ...");
    Map<String, Long> received = new ConcurrentHashMap<>();
    java.util.Set<String> firsts = ConcurrentHashMap.newKeySet();
    java.util.Set<HeadlessWorker> started = ConcurrentHashMap.newKeySet();
    java.util.Random jitter = new java.util.Random(w);
    for (HeadlessWorker worker : grid.workers(w, "lat", Engines.answering(), thinkMs > 0 ? 1 : 2)) {
      worker.behaviour((self, chunk) -> {
        received.put(chunk.assignmentId(), chunk.receivedNanos());
        if (started.add(self)) {
          firsts.add(chunk.assignmentId());
        }
        if (thinkMs == 0) {
          return false;
        }
        long delay = Math.max(1, (long) (thinkMs * (0.5 + jitter.nextDouble())));
        grid.clients().setTimer(delay, t -> self.sendResult(chunk, new float[chunk.rows() * chunk.colsB()], delay, 0));
        return true;
      });
    }
    int chunks = Math.min(16384, Math.max(200, w * perWorker));
    List<Double> latencies = new ArrayList<>();
    List<Double> afterStart = new ArrayList<>();
    List<Double> warmUpLatencies = new ArrayList<>();
    for (int run = warmUp ? -1 : 0; run < measured; run++) {
      sent.clear();
      received.clear();
      firsts.clear();
      started.clear();
      grid.finished(grid.submit(Bench.tinyJob(chunks)));
      boolean counted = run >= 0;
      List<Double> all = counted ? latencies : warmUpLatencies;
      received.forEach((id, at) -> {
        Long out = sent.get(id);
        if (out != null) {
          all.add((at - out) / 1e6);
          if (counted && !firsts.contains(id)) {
            afterStart.add((at - out) / 1e6);
          }
        }
      });
    }
    grid.stopWorkers();
    return new Stats[] {Stats.of(latencies), Stats.of(afterStart), warmUp ? Stats.of(warmUpLatencies) : null};
  }

  /** Socket close → the chunk it held sent to another worker. */
  void reassignment(BenchGrid grid) {
    if (!grid.inProcess()) {
      rows.add(new Bench.Row("reassignment latency", "socket close → chunk re-sent", "n/a (needs the server in this process)",
          "p99 ≤ 50 ms", "500 ms", null));
      return;
    }
    Map<String, CompletableFuture<Long>> resent = new ConcurrentHashMap<>();
    io.vertx.core.Handler<DeliveryContext<Object>> watch = ctx -> {
      if (ctx.message().address().startsWith(Addresses.WORKER_PRIVATE_PREFIX)
          && ctx.message().body() instanceof JsonObject body && "chunk".equals(body.getString("type"))) {
        CompletableFuture<Long> waiting = resent.get(body.getString("jobId") + "/" + body.getInteger("chunkIndex"));
        if (waiting != null) {
          waiting.complete(System.nanoTime());
        }
      }
      ctx.next();
    };
    int rounds = options.quick() ? 2 : 5;
    int victims = 10;
    List<Double> latencies = new ArrayList<>();
    grid.workers(20, "steady", Engines.answering(), 2);
    grid.serverVertx().eventBus().addOutboundInterceptor(watch);
    try {
      for (int round = 0; round < rounds; round++) {
        progress.accept("reassignment latency, round " + (round + 1) + " of " + rounds + " ...");
        Map<HeadlessWorker, String> held = new ConcurrentHashMap<>();
        CountDownLatch holding = new CountDownLatch(victims);
        List<HeadlessWorker> doomed = grid.workers(victims, "victim" + round, Engines.answering(), 1);
        for (HeadlessWorker victim : doomed) {
          victim.behaviour((self, chunk) -> {
            if (held.putIfAbsent(self, chunk.jobId() + "/" + chunk.chunkIndex()) == null) {
              holding.countDown();
            }
            return true;
          });
        }
        String id = grid.submit(Bench.tinyJob(16000));
        if (!holding.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("victims got no chunks");
        }
        for (HeadlessWorker victim : doomed) {
          CompletableFuture<Long> again = new CompletableFuture<>();
          resent.put(held.get(victim), again);
          long closing = System.nanoTime();
          await(victim.stop());
          latencies.add((again.get(30, TimeUnit.SECONDS) - closing) / 1e6);
        }
        grid.cancel(id);
        grid.finished(id);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      grid.serverVertx().eventBus().removeOutboundInterceptor(watch);
      grid.stopWorkers();
    }
    Stats stats = Stats.of(latencies);
    results.put("reassignmentLatencyMs", Bench.json(stats));
    rows.add(new Bench.Row("reassignment latency", "socket close → chunk re-sent, " + stats.count() + " closes",
        String.format(Locale.ROOT, "p50 %.2f ms, p99 %.2f ms", stats.p50(), stats.p99()), "p99 ≤ 50 ms", "500 ms",
        stats.p99() <= 50));
  }
}

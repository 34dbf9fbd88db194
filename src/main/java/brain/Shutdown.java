package brain;

import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/**
 * Stopping, once, whichever comes first: SIGTERM (drain, stop, exit 0) or the JVM's own
 * shutdown (SIGINT, System.exit). Draining moves this node's workers to the others before the
 * verticles stop (the scheduler's lease, where it holds one, is released by its stop).
 */
final class Shutdown {
  private final BrainServer server;
  private final Vertx vertx;
  private final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);

  Shutdown(BrainServer server, Vertx vertx) {
    this.server = server;
    this.vertx = vertx;
  }

  /** SIGTERM: drain and stop, then exit with 0 (not the JVM's 143: a stop asked for is not a failure). */
  void onSigterm() {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> new Thread(() -> {
        run();
        System.exit(0);
      }, "sigterm").start());
    } catch (IllegalArgumentException e) {
      // No SIGTERM on this platform: the shutdown hook alone stops the server.
    }
  }

  void run() {
    if (!started.compareAndSet(false, true)) {
      awaitDone();
      return;
    }
    long began = System.nanoTime();
    try {
      int left = server.drain().await(server.drainBoundMs() + 5000, TimeUnit.MILLISECONDS);
      System.Logger log = System.getLogger(Shutdown.class.getName());
      log.log(System.Logger.Level.INFO, "drained in " + (System.nanoTime() - began) / 1_000_000 + " ms"
          + (left == 0 ? "" : ", " + left + " workers had not moved"));
      server.stop().compose(v -> vertx.close()).await(20, TimeUnit.SECONDS);
      log.log(System.Logger.Level.INFO, "stopped in " + (System.nanoTime() - began) / 1_000_000 + " ms");
    } catch (Exception e) {
      System.err.println("shutdown was not clean: " + e.getMessage());
    } finally {
      done.countDown();
    }
  }

  private void awaitDone() {
    try {
      done.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package brain.election;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import brain.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * This node's candidacy for the scheduler: every {@code renewMs} it asks the database (through
 * {@code brain.persistence}, one statement on the lease row) to renew its lease or, when the lease
 * has expired, to take it with a higher fencing number. The holder <em>fences itself</em>: it
 * counts as holder only until its own monotonic clock says the lease it last confirmed may have
 * run out, measured from when that renewal was <em>sent</em>, less a margin for the nodes' clocks
 * being out of step. That moment comes before any other node can see the lease expired, so two
 * nodes never both believe they schedule; and whatever a paused holder still writes after waking
 * carries its old fence, which the database refuses. Confined to the context that created it.
 */
public final class Elector {
  private static final System.Logger LOG = System.getLogger(Elector.class.getName());

  /** What the holder is told: it became the scheduler, or it no longer is. */
  public interface Listener {
    void elected(long fence);

    void deposed(long fence, String why);
  }

  private final Vertx vertx;
  private final String holder;
  private final long leaseMs;
  private final long renewMs;
  private final long marginNanos;
  private final Listener listener;
  private long timer = -1;
  private long expiryTimer = -1;
  private boolean claiming;
  private boolean stopped;
  /** The fence of the lease this node holds; -1 when it holds none. */
  private long fence = -1;
  /** Monotonic nanos until which this node may act as scheduler. */
  private long validUntilNanos;

  public Elector(Vertx vertx, String holder, long leaseMs, long renewMs, Listener listener) {
    if (renewMs * 2 > leaseMs) {
      throw new IllegalArgumentException("cluster.schedulerRenewMs (" + renewMs + ") must be at most half of "
          + "cluster.schedulerLeaseMs (" + leaseMs + ")");
    }
    this.vertx = vertx;
    this.holder = holder;
    this.leaseMs = leaseMs;
    this.renewMs = renewMs;
    // A fifth of the lease, at least one renewal: covers the clocks' skew and a late timer.
    this.marginNanos = Math.max(leaseMs / 5, renewMs) * 1_000_000L;
    this.listener = listener;
  }

  /** Starts campaigning; completes with whether the first claim won the lease. */
  public io.vertx.core.Future<Boolean> start() {
    io.vertx.core.Promise<Boolean> first = io.vertx.core.Promise.promise();
    firstClaim = first;
    claim();
    timer = vertx.setPeriodic(renewMs, id -> claim());
    return first.future();
  }

  private io.vertx.core.Promise<Boolean> firstClaim;

  /** Whether this node is the scheduler now: it holds the lease and its own clock says it has not run out. */
  public boolean mayAct() {
    return fence >= 0 && System.nanoTime() < validUntilNanos;
  }

  /** The fence of the lease held, -1 when none. */
  public long fence() {
    return mayAct() ? fence : -1;
  }

  /**
   * Stops renewing without letting go, as a paused process would (SIGSTOP): for tests of
   * fencing. The lease runs out and another node takes it.
   */
  public void suspend() {
    vertx.cancelTimer(timer);
  }

  /** Steps down at once (a fenced write was refused: someone else holds the lease). */
  public void stepDown(String why) {
    lose(why);
  }

  /** Stops campaigning; a held lease is released at once so another node need not wait for it to expire. */
  public io.vertx.core.Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(timer);
    long held = fence;
    lose("this node is stopping");
    if (held < 0) {
      return io.vertx.core.Future.succeededFuture();
    }
    return vertx.eventBus().request(Addresses.DB_LEASE_RELEASE, new JsonObject().put("holder", holder).put("fence", held))
        .onFailure(err -> LOG.log(WARNING, "could not release the scheduler's lease: " + err.getMessage()))
        .<Void>mapEmpty().otherwiseEmpty();
  }

  private void claim() {
    if (claiming || stopped) {
      return; // the last claim is still out: one at a time
    }
    claiming = true;
    long sentAt = System.nanoTime();
    vertx.eventBus().<JsonObject>request(Addresses.DB_LEASE_CLAIM,
            new JsonObject().put("holder", holder).put("fence", fence).put("leaseMs", leaseMs))
        .onComplete(ar -> {
          claiming = false;
          if (stopped) {
            return;
          }
          if (firstClaim != null) {
            io.vertx.core.Promise<Boolean> first = firstClaim;
            firstClaim = null;
            vertx.runOnContext(v -> first.tryComplete(fence >= 0));
          }
          if (ar.failed()) {
            LOG.log(WARNING, "could not reach the scheduler's lease: " + ar.cause().getMessage());
            return; // the self-fence timer steps down if this goes on
          }
          JsonObject row = ar.result().body();
          if (!row.getBoolean("held")) {
            if (fence >= 0) {
              lose("the lease is held by " + row.getString("holder") + " with fence " + row.getLong("fence"));
            }
            return;
          }
          long newFence = row.getLong("fence");
          if (fence >= 0 && newFence != fence) {
            lose("the lease was taken again with a new fence");
          }
          validUntilNanos = sentAt + leaseMs * 1_000_000L - marginNanos;
          armExpiry();
          if (fence < 0 && System.nanoTime() < validUntilNanos) {
            fence = newFence;
            LOG.log(INFO, "elected scheduler: " + holder + " with fence " + fence + " (lease " + leaseMs + " ms)");
            listener.elected(fence);
          }
        });
  }

  /** Steps down when the confirmed lease may run out before the next renewal is confirmed. */
  private void armExpiry() {
    if (expiryTimer >= 0) {
      vertx.cancelTimer(expiryTimer);
    }
    // Rounded up: a timer may fire a little early, and then it checks again.
    long delayMs = Math.max(1, (validUntilNanos - System.nanoTime() + 999_999L) / 1_000_000L);
    expiryTimer = vertx.setTimer(delayMs, id -> {
      expiryTimer = -1;
      if (fence < 0) {
        return;
      }
      if (System.nanoTime() >= validUntilNanos) {
        lose("the lease could not be renewed in time");
      } else {
        armExpiry();
      }
    });
  }

  private void lose(String why) {
    if (fence < 0) {
      return;
    }
    long was = fence;
    fence = -1;
    validUntilNanos = 0;
    LOG.log(INFO, "no longer the scheduler (fence " + was + "): " + why);
    listener.deposed(was, why);
  }
}

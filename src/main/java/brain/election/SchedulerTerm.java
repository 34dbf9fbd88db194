package brain.election;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;

/**
 * Whether this node holds the scheduler's lease now, and with which fence, for the parts of the
 * node that are not the scheduler (the node directory's "scheduler" flag, the metrics' gauges).
 * Written by the scheduler verticle when its term starts and ends; a node-local map, so any
 * thread may read it.
 */
public final class SchedulerTerm {
  private static final String MAP = "brain.election.term";
  private static final String FENCE = "fence";

  private SchedulerTerm() {}

  public static void began(Vertx vertx, long fence) {
    map(vertx).put(FENCE, fence);
  }

  public static void ended(Vertx vertx) {
    map(vertx).remove(FENCE);
  }

  /** The fence of the lease this node holds, or -1. */
  public static long fence(Vertx vertx) {
    Long fence = map(vertx).get(FENCE);
    return fence == null ? -1 : fence;
  }

  public static boolean held(Vertx vertx) {
    return fence(vertx) >= 0;
  }

  private static LocalMap<String, Long> map(Vertx vertx) {
    return vertx.sharedData().getLocalMap(MAP);
  }
}

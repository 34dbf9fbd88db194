package brain.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The cluster's part of health: the nodes, the scheduler's node ({@code schedulerNode}; the
 * lease itself is {@code scheduler}, the election's), sockets and workers summed over the nodes.
 */
public final class ClusterHealth {
  private ClusterHealth() {}

  /** Adds {@code nodes}, {@code schedulerNode} (its id, or "waiting"), and {@code bridge.openSockets}, {@code workersConnected} summed. */
  public static JsonObject add(JsonObject health, JsonArray nodes) {
    int sockets = 0;
    int workers = 0;
    String scheduler = "waiting";
    for (Object item : nodes) {
      JsonObject node = (JsonObject) item;
      sockets += node.getInteger("sockets", 0);
      workers += node.getInteger("workers", 0);
      if (Boolean.TRUE.equals(node.getBoolean("scheduler"))) {
        scheduler = node.getString("id");
      }
    }
    JsonObject bridge = health.getJsonObject("bridge");
    if (bridge == null) {
      health.put("bridge", bridge = new JsonObject().put("status", "up"));
    }
    bridge.put("openSockets", sockets);
    return health.put("schedulerNode", scheduler).put("workersConnected", workers).put("nodes", nodes);
  }

  /**
   * Health answered by a node that finds no scheduler (none elected yet, or it is starting):
   * 200, status "waiting", and what this node knows: the nodes.
   */
  public static JsonObject waiting(JsonArray nodes) {
    return add(new JsonObject().put("status", "waiting"), nodes).put("schedulerNode", "waiting");
  }
}

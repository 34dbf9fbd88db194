package brain.scheduler;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Contributions earned since the last flush, per worker id. The scheduler credits every
 * accepted chunk here and writes the sums to the leaderboard in one batch a second, not one
 * row write per chunk.
 */
final class CreditLedger {
  private final Map<String, JsonObject> pending = new LinkedHashMap<>();

  void credit(WorkerSession session, double computeMs) {
    JsonObject entry = pending.computeIfAbsent(session.workerId, id -> new JsonObject()
        .put("workerId", id).put("computeMs", 0.0).put("tasks", 0));
    entry.put("name", session.name)
        .put("computeMs", entry.getDouble("computeMs") + computeMs)
        .put("tasks", entry.getInteger("tasks") + 1);
  }

  boolean isEmpty() {
    return pending.isEmpty();
  }

  /** The batch to write; the ledger starts empty again. */
  JsonObject drain() {
    JsonArray credits = new JsonArray();
    pending.values().forEach(credits::add);
    pending.clear();
    return new JsonObject().put("credits", credits);
  }
}

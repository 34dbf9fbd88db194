package brain.scheduler;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Leaderboard changes since the last flush, per worker id: compute time and chunks of every
 * accepted result, and sessions joined. The scheduler writes them in one batch a second, not
 * one row write per chunk or per join (a thousand tabs joining at once is one transaction).
 */
final class CreditLedger {
  private final Map<String, JsonObject> pending = new LinkedHashMap<>();

  void credit(WorkerSession session, double computeMs) {
    JsonObject entry = entry(session);
    entry.put("computeMs", entry.getDouble("computeMs") + computeMs).put("tasks", entry.getInteger("tasks") + 1);
  }

  void joined(WorkerSession session) {
    JsonObject entry = entry(session);
    entry.put("sessions", entry.getInteger("sessions") + 1);
  }

  private JsonObject entry(WorkerSession session) {
    return pending.computeIfAbsent(session.workerId, id -> new JsonObject()
            .put("workerId", id).put("computeMs", 0.0).put("tasks", 0).put("sessions", 0))
        .put("name", session.name);
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

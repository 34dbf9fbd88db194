package brain.scheduler;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sessions joined since the last flush, per worker id. Written in one batch a second (a thousand
 * tabs joining at once is one statement batch), and only counted on leaderboard rows that
 * exist: joining makes no one a contributor; verified work does (see the credit grant).
 */
final class JoinLedger {
  private final Map<String, JsonObject> pending = new LinkedHashMap<>();

  void joined(WorkerSession session) {
    JsonObject entry = pending.computeIfAbsent(session.workerId, id -> new JsonObject()
        .put("workerId", id).put("sessions", 0));
    entry.put("sessions", entry.getInteger("sessions") + 1).put("name", session.name);
  }

  boolean isEmpty() {
    return pending.isEmpty();
  }

  /** The batch to write; the ledger starts empty again. */
  JsonObject drain() {
    JsonArray joins = new JsonArray();
    pending.values().forEach(joins::add);
    pending.clear();
    return new JsonObject().put("joins", joins);
  }
}

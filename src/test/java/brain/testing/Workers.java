package brain.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import brain.model.WorkerLabel;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** GET /api/workers, read the way a dashboard does. */
public final class Workers {
  private Workers() {}

  public static List<JsonObject> list(TestGrid grid) {
    return new JsonObject(grid.get("/api/workers").body()).getJsonArray("workers").stream()
        .map(JsonObject.class::cast).toList();
  }

  /**
   * The connected sessions of a worker, found by whichever of its session id, worker id, label or
   * (unique) display name the view shows; sessions already lost are left out.
   */
  public static List<JsonObject> liveSessions(TestGrid grid, String workerId, String name, String sessionId) {
    String label = WorkerLabel.of(workerId);
    return list(grid).stream().filter(w -> !"lost".equals(w.getString("state")))
        .filter(w -> (sessionId != null && sessionId.equals(w.getString("sessionId")))
            || workerId.equals(w.getString("workerId")) || label.equals(w.getString("label"))
            || name.equals(w.getString("name")))
        .toList();
  }

  /** The worker's connected session(s) are listed with "state":"excluded". */
  public static void assertExcluded(TestGrid grid, String workerId, String name, String sessionId) {
    List<JsonObject> sessions = liveSessions(grid, workerId, name, sessionId);
    assertFalse(sessions.isEmpty(), name + " is not listed by /api/workers: " + list(grid));
    for (JsonObject session : sessions) {
      assertEquals("excluded", session.getString("state"), name + "'s session in /api/workers: " + session.encode());
    }
  }
}

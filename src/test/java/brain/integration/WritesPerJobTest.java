package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestGrid;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a job costs the database does not grow with its chunks: its insert, its start, its
 * result, its end with the timeline, its credits, whether it has 8 chunks or 512.
 */
@Timeout(120)
class WritesPerJobTest {
  private TestGrid grid;

  @BeforeEach
  void start() {
    grid = TestGrid.start(Map.of());
    grid.worker("writes-1");
    grid.worker("writes-2");
  }

  @AfterEach
  void stop() {
    grid.close();
  }

  @Test
  @DisplayName("a job of 512 chunks makes as many database writes as one of 8, and its timeline is stored whole")
  void writesDoNotGrowWithChunks() {
    // The first job pays for what happens once per worker (the leaderboard's join rows).
    writesOf("{\"rowsA\":64,\"colsA\":32,\"colsB\":32,\"chunkRows\":8}");
    long few = writesOf("{\"rowsA\":64,\"colsA\":32,\"colsB\":32,\"chunkRows\":8}");
    long many = writesOf("{\"rowsA\":512,\"colsA\":32,\"colsB\":32,\"chunkRows\":1}");
    System.out.printf("database writes: %d for 8 chunks, %d for 512 chunks%n", few, many);
    assertTrue(few > 0, "a job writes something");
    assertEquals(few, many, "writes per job (8 chunks: " + few + ", 512 chunks: " + many + ")");
  }

  /** Submits, awaits the end and the stored row; answers the writes in between. */
  private long writesOf(String spec) {
    long before = writes();
    String id;
    try (TestGrid.JobWatch watch = grid.watch()) {
      id = grid.submit(spec);
      assertEquals("completed", watch.finished(id).getString("status"));
    }
    int chunks = grid.job(id).getInteger("chunksTotal", -1);
    // The stored timeline holds every chunk's events: one write for all of them.
    long done = new JsonObject(grid.get("/api/jobs/" + id + "/timeline").body()).getJsonArray("events").stream()
        .map(JsonObject.class::cast).filter(e -> "done".equals(e.getString("type"))).count();
    assertEquals(chunks, done, "every chunk's done event is in the timeline");
    return awaitQuiet(before);
  }

  /** Writes since {@code before}, once the count has stopped moving (the end's writes are asynchronous). */
  private long awaitQuiet(long before) {
    long last = -1;
    long now = writes();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (now != last && System.nanoTime() < deadline) {
      last = now;
      TestGrid.await(grid.vertx().timer(300));
      now = writes();
    }
    return now - before;
  }

  private long writes() {
    return new JsonObject(grid.get("/api/health").body()).getLong("databaseWrites");
  }
}

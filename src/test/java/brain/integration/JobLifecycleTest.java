package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Reference;
import brain.testing.TestGrid;
import brain.worker.HeadlessWorker;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Submit → workers over the real bridge protocol → completed → stored → the product is right. */
@Timeout(120)
class JobLifecycleTest {
  private TestGrid grid;

  @BeforeEach
  void start() {
    grid = TestGrid.start();
  }

  @AfterEach
  void stop() {
    grid.close();
  }

  @Test
  @DisplayName("a job of odd sizes, computed by two workers, completes with the right product and is stored")
  void oddSizedJobCompletesAndIsStored() throws Exception {
    grid.worker("alice");
    grid.worker("bob");
    try (TestGrid.JobWatch watch = grid.watch()) {
      HttpResponse<String> accepted = grid.post("/api/jobs", "{\"rowsA\":157,\"colsA\":93,\"colsB\":71,\"chunkRows\":16}");
      assertEquals(202, accepted.statusCode(), accepted.body());
      String id = new JsonObject(accepted.body()).getString("id");
      assertEquals("/api/jobs/" + id, accepted.headers().firstValue("location").orElseThrow());

      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());

      JsonObject view = grid.job(id);
      assertEquals("completed", view.getString("status"));
      assertEquals(10, view.getInteger("chunksTotal"));
      assertEquals(10, view.getInteger("chunksDone"));
      assertTrue(view.getInteger("workersUsed") >= 1);
      JsonObject verification = view.getJsonObject("verification");
      assertEquals("full", verification.getString("method"));
      assertTrue(verification.getBoolean("passed"));
      JsonObject metrics = view.getJsonObject("metrics");
      assertTrue(metrics.getDouble("totalTimeMs") > 0);
      assertTrue(metrics.getLong("bytesTransferred") > 4L * (157 * 93 + 93 * 71 + 157 * 71));
      assertTrue(metrics.getDouble("throughputMops") > 0);

      // The product, checked independently from the inputs the server publishes.
      HttpResponse<byte[]> result = grid.getBytes("/api/jobs/" + id + "/result");
      assertEquals(200, result.statusCode());
      assertEquals("application/octet-stream", result.headers().firstValue("content-type").orElseThrow());
      grid.assertJobProduct(id, 157, 93, 71);

      // And the database, read as a person would read the file.
      try (Connection db = grid.database(); Statement st = db.createStatement();
           ResultSet row = st.executeQuery("SELECT * FROM jobs WHERE id = '" + id + "'")) {
        assertTrue(row.next(), "the job row is in the database");
        assertEquals("completed", row.getString("status"));
        assertEquals(157, row.getInt("rows_a"));
        assertEquals(93, row.getInt("cols_a"));
        assertEquals(71, row.getInt("cols_b"));
        assertEquals(10, row.getInt("chunks_count"));
        assertTrue(row.getInt("workers_used") >= 1);
        assertTrue(row.getDouble("total_time_ms") > 0);
        assertNotNull(row.getString("created_at"));
        assertEquals(1, row.getInt("verification_passed"));
      }
      try (Connection db = grid.database(); Statement st = db.createStatement();
           ResultSet row = st.executeQuery("SELECT rows, cols, bytes AS n, path FROM job_result_files WHERE job_id = '" + id + "'")) {
        assertTrue(row.next(), "the result is stored");
        assertEquals(157 * 71 * 4, row.getInt("n"));
        java.nio.file.Path file = grid.dir().resolve("matrices").resolve(row.getString("path"));
        assertEquals(157L * 71 * 4, java.nio.file.Files.size(file), "the result is a file under storage.dir/results");
      }
    }
  }

  @Test
  @DisplayName("the JSON form of a result holds the same values as the binary form")
  void jsonResultMatchesBinary() {
    grid.worker("carol");
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":5,\"colsA\":3,\"colsB\":4,\"seed\":42}");
      assertEquals("completed", watch.finished(id).getString("status"));
      float[] binary = Reference.floats(grid.getBytes("/api/jobs/" + id + "/result").body());
      HttpResponse<String> json = grid.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(grid.baseUrl() + "/api/jobs/" + id + "/result")).header("accept", "application/json").build());
      JsonObject body = new JsonObject(json.body());
      assertEquals(5, body.getInteger("rows"));
      assertEquals(4, body.getInteger("cols"));
      for (int r = 0; r < 5; r++) {
        for (int c = 0; c < 4; c++) {
          assertEquals(binary[r * 4 + c], body.getJsonArray("data").getJsonArray(r).getFloat(c));
        }
      }
    }
  }

  @Test
  @DisplayName("the result preview averages blocks of C, and workers are told their contribution and rank")
  void previewAndStanding() {
    HeadlessWorker worker = grid.worker("dora");
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":100,\"colsA\":20,\"colsB\":30,\"chunkRows\":25}");
      assertEquals("completed", watch.finished(id).getString("status"));
      float[] c = Reference.floats(grid.getBytes("/api/jobs/" + id + "/result").body());
      JsonObject preview = new JsonObject(grid.get("/api/jobs/" + id + "/result/preview?size=10").body());
      assertEquals(10, preview.getInteger("rows"));
      assertEquals(10, preview.getInteger("cols"));
      assertEquals(100, preview.getInteger("sourceRows"));
      double sum = 0;
      for (int r = 10; r < 20; r++) {
        for (int col = 3; col < 6; col++) {
          sum += c[r * 30 + col];
        }
      }
      assertEquals(sum / 30, preview.getJsonArray("data").getDouble(1 * 10 + 1), 1e-4, "cell (1,1) covers rows 10-19, cols 3-5");
      assertEquals(400, grid.get("/api/jobs/" + id + "/result/preview?size=2").statusCode());
    }
    JsonObject stats = TestGrid.await(worker.stats(m -> m.getLong("chunksDone", 0L) >= 4));
    assertEquals(4, stats.getLong("chunksDone"));
    assertEquals(1, stats.getLong("rank"));
  }

  @Test
  @DisplayName("a job waits as queued while no worker is connected, then runs when one joins")
  void jobWaitsForWorkers() {
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":40,\"colsA\":30,\"colsB\":20}");
      assertEquals("queued", grid.job(id).getString("status"));
      assertEquals(409, grid.get("/api/jobs/" + id + "/result").statusCode());
      grid.worker("late-joiner");
      assertEquals("completed", watch.finished(id).getString("status"));
    }
  }
}

package brain.persistence;

import static brain.bus.Addresses.*;
import static org.junit.jupiter.api.Assertions.*;

import brain.bus.Codecs;
import brain.config.BrainConfig;
import brain.model.Matrix;
import brain.testing.TestGrid;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The persistence verticle against a real database, read back through a separate connection: the
 * same tests on a SQLite file ({@link PersistenceTest}) and on PostgreSQL ({@link PostgresPersistenceTest}).
 */
@Timeout(60)
abstract class PersistenceContract {
  protected Vertx vertx;
  private Path storage;
  /** The database of this test, as configured (db.url). */
  protected String url;

  /** A new empty database for one test. */
  abstract String freshDatabase() throws Exception;

  @BeforeEach
  void start() throws Exception {
    url = freshDatabase();
    storage = Files.createTempDirectory("brain-storage").resolve("matrices");
    deploy();
  }

  private void deploy() {
    vertx = Vertx.vertx();
    Codecs.register(vertx);
    JsonObject config = new BrainConfig(BrainConfig.defaults()).with("db.url", url)
        .with("storage.dir", storage.toString()).with("storage.keepResultsDays", 1).json();
    TestGrid.await(vertx.deployVerticle(new PersistenceVerticle(), new DeploymentOptions().setConfig(config)));
  }

  @AfterEach
  void stop() {
    TestGrid.await(vertx.close());
  }

  private <T> T ask(String address, Object body) {
    return TestGrid.await(vertx.eventBus().<T>request(address, body).map(Message::body));
  }

  private static JsonObject job(String id) {
    JsonObject spec = new JsonObject().put("rowsA", 2).put("colsA", 3).put("colsB", 4).put("seed", 9).put("verify", "auto");
    JsonObject view = spec.copy().put("id", id).put("status", "queued").put("createdAt", "2026-11-23T10:00:00.000Z");
    return new JsonObject().put("view", view).put("spec", spec);
  }

  private int countRowsOutside(String sql) throws Exception {
    try (Connection db = DriverManager.getConnection(url);
         ResultSet rows = db.createStatement().executeQuery(sql)) {
      rows.next();
      return rows.getInt(1);
    }
  }

  @Test
  @DisplayName("writes after a transaction are committed: another connection sees them (vertx-jdbc-client#356)")
  void writesAfterATransactionAreCommitted() throws Exception {
    ask(DB_JOB_INSERT, job("job-credited"));
    ask(DB_CREDITS_GRANT, grant("job-credited", "w-1", 2));
    ask(DB_JOB_INSERT, job("job-after-transaction"));
    assertEquals(1, countRowsOutside("SELECT COUNT(*) FROM jobs WHERE id = 'job-after-transaction'"));
    assertEquals(1, countRowsOutside("SELECT COUNT(*) FROM leaderboard WHERE worker_id = 'w-1' AND tasks_completed = 2"));
  }

  @Test
  @DisplayName("the schema is at its latest version, each migration recorded once")
  void schemaAtLatestVersion() throws Exception {
    assertEquals(SqlQueries.MIGRATIONS.size(), countRowsOutside("SELECT COUNT(DISTINCT version) FROM schema_version"));
    assertEquals(SqlQueries.MIGRATIONS.size(), countRowsOutside("SELECT COUNT(*) FROM schema_version"));
    try (Connection db = DriverManager.getConnection(url)) {
      ResultSet version = db.createStatement().executeQuery("SELECT MAX(version) FROM schema_version");
      version.next();
      assertEquals(SqlQueries.MIGRATIONS.size(), version.getInt(1));
      for (String column : List.of("worker_id", "total_compute_ms", "tasks_completed", "sessions_joined", "last_seen")) {
        assertTrue(db.getMetaData().getColumns(null, null, "leaderboard", column).next(), column);
      }
      for (String column : List.of("id", "rows_a", "cols_a", "cols_b", "workers_used", "chunks_count", "total_time_ms",
          "avg_chunk_time_ms", "throughput_mops", "efficiency_ratio", "created_at", "status", "seed", "spec")) {
        assertTrue(db.getMetaData().getColumns(null, null, "jobs", column).next(), column);
      }
    }
  }

  @Test
  @DisplayName("a restart on the same database keeps everything and migrates nothing twice")
  void restartKeepsData() throws Exception {
    ask(DB_JOB_INSERT, job("survivor"));
    TestGrid.await(vertx.close());
    deploy();
    assertEquals(SqlQueries.MIGRATIONS.size(), countRowsOutside("SELECT COUNT(*) FROM schema_version"));
    JsonObject view = ask(DB_JOB_GET, new JsonObject().put("id", "survivor"));
    assertEquals("queued", view.getString("status"));
    JsonArray unfinished = ask(DB_JOB_UNFINISHED, new JsonObject());
    assertEquals(1, unfinished.size());
    assertEquals(9, unfinished.getJsonObject(0).getJsonObject("spec").getLong("seed"));
  }

  @Test
  @DisplayName("many concurrent writes from many requests: none fails with 'database is locked'")
  void concurrentWrites() throws Exception {
    AtomicInteger failures = new AtomicInteger();
    List<io.vertx.core.Future<Object>> writes = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) {
      writes.add(vertx.eventBus().request(DB_JOB_INSERT, job("concurrent-" + i)).map(Message::body));
      writes.add(vertx.eventBus().request(DB_CREDITS_GRANT, grant("concurrent-" + i, "w-" + (i % 7), 1))
          .map(Message::body));
      writes.add(vertx.eventBus().request(DB_JOB_UPDATE, new JsonObject().put("id", "concurrent-" + i)
          .put("status", "running")).map(Message::body));
    }
    TestGrid.await(io.vertx.core.Future.join(writes).otherwise(v -> {
      writes.stream().filter(io.vertx.core.Future::failed).forEach(f -> failures.incrementAndGet());
      return null;
    }));
    assertEquals(0, failures.get());
    assertEquals(200, countRowsOutside("SELECT COUNT(*) FROM jobs WHERE status = 'running'"));
    assertEquals(200, countRowsOutside("SELECT SUM(tasks_completed) FROM leaderboard"));
    assertEquals(7, countRowsOutside("SELECT COUNT(*) FROM leaderboard"));
  }

  @Test
  @DisplayName("a job is credited once: a repeated grant (restart, replayed message) changes nothing")
  void creditsAreGrantedOncePerJob() throws Exception {
    ask(DB_JOB_INSERT, job("credited-once"));
    JsonObject first = ask(DB_CREDITS_GRANT, grant("credited-once", "w-once", 3));
    JsonObject again = ask(DB_CREDITS_GRANT, grant("credited-once", "w-once", 3));
    assertEquals(3, first.getInteger("granted"));
    assertEquals(0, again.getInteger("granted"));
    assertEquals(3, countRowsOutside("SELECT COUNT(*) FROM chunk_credits WHERE job_id = 'credited-once'"));
    assertEquals(3, countRowsOutside("SELECT tasks_completed FROM leaderboard WHERE worker_id = 'w-once'"));
    assertEquals(3 * 1000, countRowsOutside("SELECT verified_multiply_adds FROM leaderboard WHERE worker_id = 'w-once'"));
  }

  @Test
  @DisplayName("joining makes no leaderboard row; it is counted on a row that exists")
  void joiningAloneMakesNoRow() throws Exception {
    JsonArray joins = new JsonArray().add(new JsonObject().put("workerId", "w-lurker").put("name", "l").put("sessions", 1));
    ask(DB_LEADERBOARD_JOINED, new JsonObject().put("joins", joins));
    assertEquals(0, countRowsOutside("SELECT COUNT(*) FROM leaderboard WHERE worker_id = 'w-lurker'"));
    ask(DB_JOB_INSERT, job("lurker-job"));
    ask(DB_CREDITS_GRANT, grant("lurker-job", "w-lurker", 1));
    ask(DB_LEADERBOARD_JOINED, new JsonObject().put("joins", joins));
    assertEquals(2, countRowsOutside("SELECT sessions_joined FROM leaderboard WHERE worker_id = 'w-lurker'"));
  }

  @Test
  @DisplayName("a worker's standing is its row's place on the leaderboard, ties broken as the leaderboard breaks them")
  void standingMatchesLeaderboardOrder() throws Exception {
    ask(DB_JOB_INSERT, job("ties"));
    JsonArray chunks = new JsonArray();
    // w-a and w-b tie on verified work (w-a computed longer); w-0 and w-c tie on both.
    String[][] credits = {{"w-a", "3.0"}, {"w-a", "3.0"}, {"w-b", "2.0"}, {"w-b", "2.0"}, {"w-c", "2.0"}, {"w-0", "2.0"}};
    for (int i = 0; i < credits.length; i++) {
      chunks.add(new JsonObject().put("chunk", i).put("workerId", credits[i][0]).put("name", "n").put("multiplyAdds", 1000L)
          .put("computeMs", Double.parseDouble(credits[i][1])));
    }
    ask(DB_CREDITS_GRANT, new JsonObject().put("jobId", "ties").put("chunks", chunks));
    JsonObject standing = ask(DB_LEADERBOARD_STANDING, new JsonObject().put("workerIds", new JsonArray(List.of("w-c", "w-b", "w-0", "w-a"))));
    List<String> board = new java.util.ArrayList<>();
    try (Connection db = DriverManager.getConnection(url); ResultSet rs = db.createStatement().executeQuery(
        "SELECT worker_id FROM leaderboard ORDER BY verified_multiply_adds DESC, total_compute_ms DESC, worker_id")) {
      while (rs.next()) {
        board.add(rs.getString(1));
      }
    }
    assertEquals(List.of("w-a", "w-b", "w-0", "w-c"), board);
    for (int place = 0; place < board.size(); place++) {
      assertEquals(place + 1, standing.getJsonObject(board.get(place)).getLong("rank"), board.get(place) + ": " + standing);
    }
  }

  /** A grant of {@code chunks} chunks of 1000 multiply-adds, 2 ms each, all by one worker. */
  private static JsonObject grant(String jobId, String workerId, int chunks) {
    JsonArray list = new JsonArray();
    for (int i = 0; i < chunks; i++) {
      list.add(new JsonObject().put("chunk", i).put("workerId", workerId).put("name", "n").put("multiplyAdds", 1000L)
          .put("computeMs", 2.0));
    }
    return new JsonObject().put("jobId", jobId).put("chunks", list);
  }

  @Test
  @DisplayName("a checkpointed result becomes the job's part file when that holds exactly C; a part file that differs is not used")
  void checkpointedResultAdoptsThePartFile() throws Exception {
    Matrix c = new Matrix(3, 2, new float[] {1, 2, 3, 4, 5, 6});
    ask(DB_JOB_INSERT, job("adopts"));
    Path part = brain.checkpoint.ChunkLog.partFile(storage, "adopts");
    brain.matrix.MatrixFiles.writeRaw(c, part);
    TestGrid.await(vertx.eventBus().request(DB_RESULT_SAVE, c, checkpointed("adopts")));
    Path result = storage.resolve("results/adopts.f32");
    assertTrue(Files.isSameFile(part, result), "the part file is linked as the result, not written again");
    assertArrayEquals(c.data(), brain.matrix.MatrixFiles.load(result, 3, 2).data());
    assertEquals(ResultFiles.sha256(result), this.<JsonObject>ask(DB_RESULT_GET, new JsonObject().put("id", "adopts")).getString("sha256"));

    ask(DB_JOB_INSERT, job("stale-part"));
    Path stale = brain.checkpoint.ChunkLog.partFile(storage, "stale-part");
    brain.matrix.MatrixFiles.writeRaw(new Matrix(3, 2, new float[] {1, 2, 3, 4, 5, 7}), stale);
    TestGrid.await(vertx.eventBus().request(DB_RESULT_SAVE, c, checkpointed("stale-part")));
    Path written = storage.resolve("results/stale-part.f32");
    assertFalse(Files.isSameFile(stale, written), "a part file that is not C is not the result");
    assertArrayEquals(c.data(), brain.matrix.MatrixFiles.load(written, 3, 2).data());
    assertEquals(ResultFiles.sha256(written), this.<JsonObject>ask(DB_RESULT_GET, new JsonObject().put("id", "stale-part")).getString("sha256"));
  }

  private static DeliveryOptions checkpointed(String jobId) {
    return new DeliveryOptions().addHeader("jobId", jobId).addHeader("checkpointed", "true");
  }

  @Test
  @DisplayName("a result is a raw float32 file under storage.dir/results; the database keeps its metadata only")
  void resultsAreFiles() throws Exception {
    ask(DB_JOB_INSERT, job("with-result"));
    Matrix c = new Matrix(2, 4, new float[] {1, -2, 3.5f, 4, 5, 6, 7, 8e-8f});
    TestGrid.await(vertx.eventBus().request(DB_RESULT_SAVE, c, new DeliveryOptions().addHeader("jobId", "with-result")));
    JsonObject back = ask(DB_RESULT_GET, new JsonObject().put("id", "with-result"));
    Path result = storage.resolve("results/with-result.f32");
    assertEquals(result.toAbsolutePath().toString(), back.getString("file"));
    assertEquals(2, back.getInteger("rows"));
    assertEquals(4, back.getInteger("cols"));
    assertEquals(32L, back.getLong("bytes"));
    assertEquals(ResultFiles.sha256(result), back.getString("sha256"));
    assertArrayEquals(c.data(), brain.matrix.MatrixFiles.load(result, 2, 4).data());
    assertEquals(0, countRowsOutside("SELECT COUNT(*) FROM job_results"), "no blob");
    assertEquals(32, countRowsOutside("SELECT bytes FROM job_result_files WHERE job_id = 'with-result'"));

    // Deleting the job deletes its row, its result row and its file.
    ask(DB_JOB_DELETE, new JsonObject().put("id", "with-result"));
    assertFalse(Files.exists(result));
    assertEquals(0, countRowsOutside("SELECT COUNT(*) FROM job_result_files"));
  }

  @Test
  @DisplayName("a result stored as a blob before schema 5 is still read back as the matrix")
  void blobEraResultsStillRead() throws Exception {
    ask(DB_JOB_INSERT, job("old-result"));
    java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    bytes.putFloat(1).putFloat(2).putFloat(-3).putFloat(4.5f);
    try (Connection db = DriverManager.getConnection(url);
         java.sql.PreparedStatement st = db.prepareStatement("INSERT INTO job_results (job_id, rows, cols, data) VALUES (?, 2, 2, ?)")) {
      st.setString(1, "old-result");
      st.setBytes(2, bytes.array());
      st.executeUpdate();
    }
    Matrix back = ask(DB_RESULT_GET, new JsonObject().put("id", "old-result"));
    assertArrayEquals(new float[] {1, 2, -3, 4.5f}, back.data());
  }

  @Test
  @DisplayName("retention: results of jobs finished over keepResultsDays ago, unowned unused matrices and orphan files go")
  void retentionSweep() throws Exception {
    ask(DB_JOB_INSERT, job("old"));
    ask(DB_JOB_INSERT, job("recent"));
    Matrix c = new Matrix(1, 2, new float[] {1, 2});
    for (String id : List.of("old", "recent")) {
      TestGrid.await(vertx.eventBus().request(DB_RESULT_SAVE, c, new DeliveryOptions().addHeader("jobId", id)));
    }
    ask(DB_JOB_UPDATE, new JsonObject().put("id", "old").put("status", "completed")
        .put("completedAt", brain.model.Times.iso(System.currentTimeMillis() - 3 * 86_400_000L)));
    ask(DB_JOB_UPDATE, new JsonObject().put("id", "recent").put("status", "completed").put("completedAt", brain.model.Times.now()));
    Files.createDirectories(storage.resolve("inputs"));
    Path oldInput = Files.write(storage.resolve("inputs/old-a.f32"), new byte[8]);
    // An uploaded matrix nobody owns or uses, one still owned, and orphan files (old, and too fresh to judge).
    ask(DB_MATRIX_RECORD, new JsonObject().put("id", "m-unowned").put("rows", 1).put("cols", 2).put("bytes", 8L)
        .put("sha256", "x").put("owner", "alice"));
    ask(DB_MATRIX_RELEASE, new JsonObject().put("id", "m-unowned").put("owner", "alice"));
    ask(DB_MATRIX_RECORD, new JsonObject().put("id", "m-kept").put("rows", 1).put("cols", 2).put("bytes", 8L)
        .put("sha256", "y").put("owner", "bob"));
    Path unowned = Files.write(storage.resolve("m-unowned.f32"), new byte[8]);
    Path kept = Files.write(storage.resolve("m-kept.f32"), new byte[8]);
    Path orphan = Files.write(storage.resolve("m-orphan.f32"), new byte[8]);
    Path fresh = Files.write(storage.resolve("m-fresh.f32"), new byte[8]);
    Path orphanResult = Files.write(storage.resolve("results/gone.f32"), new byte[8]);
    long hourAgo = System.currentTimeMillis() - 3_600_000L;
    for (Path p : List.of(unowned, kept, orphan, orphanResult, oldInput, storage.resolve("results/old.f32"),
        storage.resolve("results/recent.f32"))) {
      Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.fromMillis(hourAgo));
    }

    JsonObject report = ask(DB_STORAGE_SWEEP, new JsonObject());
    assertEquals(1, report.getInteger("expiredResults"), report.encode());
    assertFalse(Files.exists(storage.resolve("results/old.f32")));
    assertFalse(Files.exists(oldInput));
    assertTrue(Files.exists(storage.resolve("results/recent.f32")));
    assertEquals(1, countRowsOutside("SELECT COUNT(*) FROM job_result_files"));
    assertEquals(2, countRowsOutside("SELECT COUNT(*) FROM jobs"), "the jobs stay in the history");
    assertFalse(Files.exists(unowned));
    assertEquals(0, countRowsOutside("SELECT COUNT(*) FROM matrices WHERE id = 'm-unowned'"));
    assertTrue(Files.exists(kept));
    assertFalse(Files.exists(orphan));
    assertFalse(Files.exists(orphanResult));
    assertTrue(Files.exists(fresh), "a file younger than the orphan age may be an upload whose row is coming");
  }

  @Test
  @DisplayName("fractional metrics come back exactly as stored (DOUBLE columns, not float32 REAL)")
  void metricsKeepTheirPrecision() {
    ask(DB_JOB_INSERT, job("precise"));
    ask(DB_JOB_UPDATE, new JsonObject().put("id", "precise").put("metrics", new JsonObject()
        .put("totalTimeMs", 822.574).put("efficiencyRatio", 93.125).put("throughputMops", 2610.689)));
    JsonObject metrics = this.<JsonObject>ask(DB_JOB_GET, new JsonObject().put("id", "precise")).getJsonObject("metrics");
    assertEquals(822.574, metrics.getDouble("totalTimeMs"));
    assertEquals(93.125, metrics.getDouble("efficiencyRatio"));
    assertEquals(2610.689, metrics.getDouble("throughputMops"));
  }

  @Test
  @DisplayName("two nodes migrating one new database at once: both reach the latest version, each migration runs once")
  void concurrentMigrators() throws Exception {
    String other = freshDatabase();
    Dialect dialect = Dialect.of(other);
    List<io.vertx.sqlclient.Pool> pools = new java.util.ArrayList<>();
    List<io.vertx.core.Future<Integer>> migrated = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      io.vertx.sqlclient.Pool pool = io.vertx.jdbcclient.JDBCPool.pool(vertx,
          new io.vertx.jdbcclient.JDBCConnectOptions().setJdbcUrl(dialect.prepare(other)),
          new io.vertx.sqlclient.PoolOptions().setMaxSize(1));
      pools.add(pool);
    }
    for (io.vertx.sqlclient.Pool pool : pools) {
      migrated.add(Schema.migrate(pool, dialect));
    }
    TestGrid.await(io.vertx.core.Future.all(migrated));
    for (io.vertx.core.Future<Integer> version : migrated) {
      assertEquals(SqlQueries.MIGRATIONS.size(), version.result());
    }
    pools.forEach(io.vertx.sqlclient.Pool::close);
    url = other;
    assertEquals(SqlQueries.MIGRATIONS.size(), countRowsOutside("SELECT COUNT(*) FROM schema_version"));
  }

  @Test
  @DisplayName("jobs created in the same millisecond list newest insert first")
  void sameMillisecondJobsListInInsertOrder() {
    for (String id : List.of("tie-1", "tie-2", "tie-3")) {
      ask(DB_JOB_INSERT, job(id));
    }
    JsonObject page = ask(DB_JOB_LIST, new JsonObject().put("limit", 2).put("offset", 0));
    assertEquals(3, page.getLong("total"));
    JsonArray jobs = page.getJsonArray("jobs");
    assertEquals(List.of("tie-3", "tie-2"), List.of(jobs.getJsonObject(0).getString("id"), jobs.getJsonObject(1).getString("id")));
  }

  @Test
  @DisplayName("a matrix named by a queued job's spec cannot be released (409); once unused it can")
  void matrixInUseIsKept() {
    ask(DB_MATRIX_RECORD, new JsonObject().put("id", "m-used").put("rows", 1).put("cols", 2).put("bytes", 8L)
        .put("sha256", "z").put("owner", "carol"));
    JsonObject job = job("uses-m");
    job.getJsonObject("spec").put("a", "m-used");
    ask(DB_JOB_INSERT, job);
    Throwable refused = assertThrows(Throwable.class, () -> ask(DB_MATRIX_RELEASE,
        new JsonObject().put("id", "m-used").put("owner", "carol")));
    assertTrue(String.valueOf(refused.getMessage()).contains("used by a queued or running job (uses-m)"), refused.getMessage());
    ask(DB_JOB_UPDATE, new JsonObject().put("id", "uses-m").put("status", "completed"));
    ask(DB_MATRIX_RELEASE, new JsonObject().put("id", "m-used").put("owner", "carol"));
  }
}

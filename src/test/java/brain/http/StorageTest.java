package brain.http;

import static org.junit.jupiter.api.Assertions.*;

import brain.bus.Addresses;
import brain.matrix.MatrixFiles;
import brain.model.InputGenerator;
import brain.model.Matrix;
import brain.testing.TestGrid;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Matrices, results and inputs on disk, through the real server: results are files (streamed,
 * and blob-era results still served), generated inputs are written once per job, and a 256 MiB
 * matrix goes up and down without the server's heap growing by its size.
 */
@Timeout(180)
class StorageTest {
  private static final int BIG = 8192;
  private static final long HELD_MAX_BYTES = 100_000;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static TestGrid grid;

  @BeforeAll
  static void start() {
    // Generated jobs up to 100 kB of inputs are served from memory; larger ones from files.
    grid = TestGrid.start(Map.of("limits.maxElements", BIG * BIG, "scheduler.heldInputsMaxBytes", HELD_MAX_BYTES));
    grid.worker("disk-worker");
  }

  @AfterAll
  static void stop() {
    if (grid != null) {
      grid.close();
    }
  }

  private static Path storage() {
    return grid.dir().resolve("matrices");
  }

  private static HttpResponse<byte[]> download(String path, String accept) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + path)).header("accept", accept)
        .header("authorization", "Bearer " + grid.adminToken()).timeout(Duration.ofSeconds(60)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static float[] floats(byte[] bytes, int offset) {
    ByteBuffer buf = ByteBuffer.wrap(bytes, offset, bytes.length - offset).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[(bytes.length - offset) / 4];
    buf.asFloatBuffer().get(out);
    return out;
  }

  /** Eight downloads of the job's A at once: each is exactly {@code expected}. */
  private static void assertConcurrentDownloads(String id, float[] expected) throws Exception {
    List<CompletableFuture<HttpResponse<byte[]>>> downloads = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      downloads.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/jobs/" + id + "/inputs/a"))
          .header("authorization", "Bearer " + grid.adminToken()).GET().build(), HttpResponse.BodyHandlers.ofByteArray()));
    }
    for (CompletableFuture<HttpResponse<byte[]>> d : downloads) {
      HttpResponse<byte[]> response = d.get();
      assertEquals(200, response.statusCode());
      assertArrayEquals(expected, floats(response.body(), 0));
    }
  }

  private static String completedJob(String json) {
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit(json);
      assertEquals("completed", watch.finished(id).getString("status"));
      return id;
    }
  }

  @Test
  @DisplayName("a completed job's C is a file under storage.dir/results, served raw, as .npy, as JSON and as a preview")
  void resultIsAFile() throws Exception {
    String id = completedJob("{\"rowsA\":33,\"colsA\":17,\"colsB\":29,\"seed\":5}");
    Path file = storage().resolve("results").resolve(id + ".f32");
    assertTrue(Files.exists(file), "the result file is written");
    assertEquals(33L * 29 * 4, Files.size(file));
    try (Connection db = grid.database(); Statement st = db.createStatement()) {
      var row = st.executeQuery("SELECT rows, cols, bytes, sha256, path FROM job_result_files WHERE job_id = '" + id + "'");
      assertTrue(row.next());
      assertEquals(33, row.getInt("rows"));
      assertEquals(29, row.getInt("cols"));
      assertEquals(33L * 29 * 4, row.getLong("bytes"));
      assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))),
          row.getString("sha256"));
      assertEquals(0, st.executeQuery("SELECT COUNT(*) FROM job_results WHERE job_id = '" + id + "'").getInt(1), "no blob");
    }
    grid.assertJobProduct(id, 33, 17, 29);
    float[] onDisk = floats(Files.readAllBytes(file), 0);
    HttpResponse<byte[]> raw = download("/api/jobs/" + id + "/result", "application/octet-stream");
    assertEquals(200, raw.statusCode());
    assertArrayEquals(onDisk, floats(raw.body(), 0));
    HttpResponse<byte[]> npy = download("/api/jobs/" + id + "/result?format=npy", "*/*");
    assertEquals("application/x-npy", npy.headers().firstValue("content-type").orElse(null));
    assertArrayEquals(onDisk, floats(npy.body(), MatrixFiles.npyHeader(33, 29).length));
    JsonObject json = new JsonObject(new String(download("/api/jobs/" + id + "/result", "application/json").body()));
    assertEquals(29, json.getJsonArray("data").getJsonArray(0).size());
    assertEquals(onDisk[29 + 3], json.getJsonArray("data").getJsonArray(1).getFloat(3));
    JsonObject preview = new JsonObject(grid.get("/api/jobs/" + id + "/result/preview?size=8").body());
    assertEquals(8, preview.getInteger("rows"));
    assertEquals(33, preview.getInteger("sourceRows"));

    // Deleting the job's row (as intake does) deletes the file.
    TestGrid.await(grid.vertx().eventBus().request(Addresses.DB_JOB_DELETE, new JsonObject().put("id", id)));
    assertFalse(Files.exists(file), "the result file goes with its job");
  }

  @Test
  @DisplayName("a result stored as a blob before schema 5 is still served")
  void blobEraResultServed() throws Exception {
    String id = completedJob("{\"rowsA\":6,\"colsA\":4,\"colsB\":5,\"seed\":11}");
    Path file = storage().resolve("results").resolve(id + ".f32");
    byte[] values = Files.readAllBytes(file);
    // Make it look as it did before the migration: a blob, no file row, no file.
    try (Connection db = grid.database(); Statement st = db.createStatement();
         PreparedStatement insert = db.prepareStatement("INSERT INTO job_results (job_id, rows, cols, data) VALUES (?, 6, 5, ?)")) {
      st.executeUpdate("DELETE FROM job_result_files WHERE job_id = '" + id + "'");
      insert.setString(1, id);
      insert.setBytes(2, values);
      insert.executeUpdate();
    }
    Files.delete(file);
    HttpResponse<byte[]> raw = download("/api/jobs/" + id + "/result", "application/octet-stream");
    assertEquals(200, raw.statusCode(), new String(raw.body()));
    assertArrayEquals(values, raw.body());
    HttpResponse<byte[]> npy = download("/api/jobs/" + id + "/result", "application/x-npy");
    assertArrayEquals(floats(values, 0), floats(npy.body(), MatrixFiles.npyHeader(6, 5).length));
    grid.assertJobProduct(id, 6, 4, 5);
  }

  @Test
  @DisplayName("a generated input above scheduler.heldInputsMaxBytes is written once, when its job starts (workers fetch it"
      + " from there), and downloads only stream it")
  void generatedInputsMaterialisedOnce() throws Exception {
    assertTrue((300L * 200 + 200 * 100) * 4 > HELD_MAX_BYTES);
    String id = completedJob("{\"rowsA\":300,\"colsA\":200,\"colsB\":100,\"seed\":77}");
    Path a = storage().resolve("inputs").resolve(id + "-a.f32");
    assertTrue(Files.exists(a), "the scheduler wrote the job's inputs for the data plane");
    long modified = Files.getLastModifiedTime(a).toMillis();
    long before = JobsApi.MATERIALISED.get();
    float[] expected = InputGenerator.a(77, 300, 200).data();
    assertConcurrentDownloads(id, expected);
    assertEquals(before, JobsApi.MATERIALISED.get(), "eight concurrent downloads, no write");
    HttpResponse<byte[]> npy = download("/api/jobs/" + id + "/inputs/a?format=npy", "*/*");
    assertArrayEquals(expected, floats(npy.body(), MatrixFiles.npyHeader(300, 200).length));
    HttpResponse<byte[]> b = download("/api/jobs/" + id + "/inputs/b", "application/octet-stream");
    assertArrayEquals(InputGenerator.b(77, 200, 100).data(), floats(b.body(), 0));
    assertEquals(before, JobsApi.MATERIALISED.get(), "b too is streamed from the file the job wrote");
    assertEquals(modified, Files.getLastModifiedTime(a).toMillis());
    TestGrid.await(grid.vertx().eventBus().request(Addresses.DB_JOB_DELETE, new JsonObject().put("id", id)));
    assertFalse(Files.exists(a), "materialised inputs go with their job");
  }

  @Test
  @DisplayName("a small generated job is computed from inputs held in memory: nothing is written until a download, which"
      + " writes each input once")
  void smallGeneratedInputsHeldInMemory() throws Exception {
    assertTrue((40L * 30 + 30 * 20) * 4 <= HELD_MAX_BYTES);
    String id = completedJob("{\"rowsA\":40,\"colsA\":30,\"colsB\":20,\"seed\":78}");
    Path a = storage().resolve("inputs").resolve(id + "-a.f32");
    assertFalse(Files.exists(a), "the scheduler wrote no input file");
    assertFalse(Files.exists(storage().resolve("inputs").resolve(id + "-b.f32")));
    long before = JobsApi.MATERIALISED.get();
    float[] expected = InputGenerator.a(78, 40, 30).data();
    assertConcurrentDownloads(id, expected);
    assertEquals(before + 1, JobsApi.MATERIALISED.get(), "eight concurrent downloads share one write");
    assertTrue(Files.exists(a));
    assertArrayEquals(expected, floats(download("/api/jobs/" + id + "/inputs/a", "application/octet-stream").body(), 0));
    assertEquals(before + 1, JobsApi.MATERIALISED.get(), "a later download streams the file");
    grid.assertJobProduct(id, 40, 30, 20); // the worker computed it from A and B fetched from the scheduler's memory
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  @Test
  @DisplayName("a 256 MiB .npy goes up and comes back down without the server's heap growing by its size")
  @Timeout(60)
  void bigMatrixRoundTripKeepsTheHeapSmall() throws Exception {
    Path dir = Files.createTempDirectory("brain-big");
    Path upload = dir.resolve("big.npy");
    MessageDigest sent = MessageDigest.getInstance("SHA-256");
    long t0 = System.nanoTime();
    // Written as a file: header, then the values 1 MiB at a time (the test holds one small buffer).
    try (OutputStream out = Files.newOutputStream(upload)) {
      out.write(MatrixFiles.npyHeader(BIG, BIG));
      ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      long seed = 12345;
      long total = (long) BIG * BIG;
      for (long done = 0; done < total; ) {
        buf.clear();
        while (buf.hasRemaining() && done < total) {
          seed = seed * 6364136223846793005L + 1442695040888963407L;
          buf.putFloat((int) (seed >>> 40) / (float) (1 << 24) - 0.5f);
          done++;
        }
        sent.update(buf.array(), 0, buf.position());
        out.write(buf.array(), 0, buf.position());
      }
    }
    String sentHash = HexFormat.of().formatHex(sent.digest());
    MemoryWatch watch = new MemoryWatch();
    long before = usedHeapAfterGc();
    watch.start();
    HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/matrices"))
        .header("authorization", "Bearer " + grid.adminToken()).header("content-type", "application/x-npy")
        .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofFile(upload)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertTrue(created.statusCode() == 201 || created.statusCode() == 200, created.body());
    JsonObject matrix = new JsonObject(created.body());
    assertEquals(BIG, matrix.getInteger("rows"));
    assertEquals((long) BIG * BIG * 4, matrix.getLong("bytes"));
    Path back = dir.resolve("back.npy");
    HttpResponse<Path> downloaded = HTTP.send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/matrices/"
            + matrix.getString("id") + "?format=npy")).header("authorization", "Bearer " + grid.adminToken())
        .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofFile(back));
    assertEquals(200, downloaded.statusCode());
    long peak = watch.stop();
    long after = usedHeapAfterGc();
    int header = MatrixFiles.npyHeader(BIG, BIG).length;
    assertEquals(header + (long) BIG * BIG * 4, Files.size(back));
    MessageDigest received = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(back)) {
      in.skipNBytes(header);
      byte[] chunk = new byte[1 << 20];
      for (int n; (n = in.read(chunk)) > 0; ) {
        received.update(chunk, 0, n);
      }
    }
    assertEquals(sentHash, HexFormat.of().formatHex(received.digest()), "the downloaded values are the uploaded ones");
    assertEquals(sentHash, matrix.getString("sha256"), "the server's checksum is the SHA-256 of the values");
    long grew = after - before;
    System.out.printf("256 MiB round trip in %.1f s: used heap %d MiB before, %d MiB after (grew %d MiB); "
            + "peak sampled %d MiB above before%n", (System.nanoTime() - t0) / 1e9, before >> 20, after >> 20, grew >> 20,
        (peak - before) >> 20);
    assertTrue(grew < 64L << 20, "the heap grew by " + (grew >> 20) + " MiB for a 256 MiB matrix");
    Files.delete(upload);
    Files.delete(back);
    int deleted = grid.delete("/api/matrices/" + matrix.getString("id")).statusCode();
    assertTrue(deleted == 200 || deleted == 204, "deleted: " + deleted);
  }

  /** Samples the used heap every 20 ms (no GC forced): the highest value seen. */
  private static final class MemoryWatch {
    private volatile boolean running = true;
    private volatile long peak;
    private final Thread thread = new Thread(() -> {
      var bean = ManagementFactory.getMemoryMXBean();
      while (running) {
        peak = Math.max(peak, bean.getHeapMemoryUsage().getUsed());
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "heap-watch");

    void start() {
      thread.setDaemon(true);
      thread.start();
    }

    long stop() throws InterruptedException {
      running = false;
      thread.join();
      return peak;
    }
  }
}

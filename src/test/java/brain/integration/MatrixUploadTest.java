package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.auth.Tokens;
import brain.testing.Reference;
import brain.testing.TestGrid;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Uploaded matrices through the real server: .npy files written by NumPy (float32 C and
 * Fortran order, float64) and raw float32 in, one stored copy per content, ownership per
 * requestor, jobs of uploaded matrices computed by real workers, .npy out, bad uploads
 * storing nothing, and deletion refused while a job uses the matrix.
 */
@Timeout(180)
class MatrixUploadTest {
  private static final int M = 37;
  private static final int K = 23;
  private static final int N = 19;
  /** Small limits so an over-limit upload is cheap: 512 per dimension, 65 536 values. */
  private static final Map<String, Object> LIMITS = Map.of("limits.maxDimension", 512, "limits.maxElements", 65536);

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static Path fixtures;

  private static final String FIXTURES_PY = """
      import sys, numpy as np
      out = sys.argv[1]
      rng = np.random.default_rng(7)
      a = rng.standard_normal((%d, %d)).astype('<f4')
      b = rng.standard_normal((%d, %d)).astype('<f4')
      np.save(out + '/A_c.npy', a)
      np.save(out + '/A_f.npy', np.asfortranarray(a))
      np.save(out + '/A_f8.npy', a.astype('<f8'))
      a.tofile(out + '/A.f32')
      np.save(out + '/B.npy', b)
      np.save(out + '/B_f.npy', np.asfortranarray(b))
      np.save(out + '/wrong_shape.npy', rng.standard_normal((%d, 5)).astype('<f4'))
      np.save(out + '/int32.npy', np.arange(12, dtype='<i4').reshape(3, 4))
      np.save(out + '/three_d.npy', np.zeros((2, 3, 4), dtype='<f4'))
      nan = np.ones((4, 4), dtype='<f4'); nan[2, 1] = np.nan
      np.save(out + '/nan.npy', nan)
      np.save(out + '/zero.npy', np.zeros((0, 5), dtype='<f4'))
      np.save(out + '/big.npy', np.ones((300, 300), dtype='<f4'))
      full = open(out + '/B.npy', 'rb').read()
      open(out + '/truncated.npy', 'wb').write(full[:len(full) - 10])
      open(out + '/magic.npy', 'wb').write(b'NOTNUMPY' + full[8:])
      """.formatted(M, K, K, N, K + 1);

  @BeforeAll
  static void writeFixtures() throws Exception {
    fixtures = Files.createTempDirectory("brain-npy");
    Path script = fixtures.resolve("fixtures.py");
    Files.writeString(script, FIXTURES_PY);
    int exit;
    try {
      Process python = new ProcessBuilder("python3", script.toString(), fixtures.toString()).redirectErrorStream(true)
          .start();
      String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(python.waitFor(60, TimeUnit.SECONDS), "python3 finishes");
      exit = python.exitValue();
      Assumptions.assumeTrue(exit == 0, "python3 with numpy is needed for these tests: " + output);
    } catch (IOException e) {
      Assumptions.abort("python3 is not installed: " + e.getMessage());
    }
  }

  @AfterAll
  static void removeFixtures() throws IOException {
    if (fixtures != null) {
      try (Stream<Path> files = Files.walk(fixtures)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  // ------------------------------------------------------------------ helpers

  private static HttpResponse<String> upload(TestGrid grid, String token, String type, String query, byte[] body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/matrices" + query))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (type != null) {
      request.header("content-type", type);
    }
    return send(request, token, HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> uploadNpy(TestGrid grid, String token, String file) throws IOException {
    return upload(grid, token, "application/x-npy", "", Files.readAllBytes(fixtures.resolve(file)));
  }

  private static HttpResponse<byte[]> download(TestGrid grid, String token, String path, String accept) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(grid.baseUrl() + path)).GET();
    if (accept != null) {
      request.header("accept", accept);
    }
    return send(request, token, HttpResponse.BodyHandlers.ofByteArray());
  }

  private static HttpResponse<String> delete(TestGrid grid, String token, String path) {
    return send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + path)).DELETE(), token,
        HttpResponse.BodyHandlers.ofString());
  }

  private static <T> HttpResponse<T> send(HttpRequest.Builder request, String token, HttpResponse.BodyHandler<T> body) {
    try {
      return HTTP.send(request.header("authorization", "Bearer " + token).timeout(Duration.ofSeconds(60)).build(), body);
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonObject created(HttpResponse<String> response, int... statuses) {
    assertTrue(java.util.Arrays.stream(statuses).anyMatch(s -> s == response.statusCode()),
        "status " + response.statusCode() + ": " + response.body());
    return new JsonObject(response.body());
  }

  private static List<Path> storedFiles(TestGrid grid) throws IOException {
    Path dir = grid.dir().resolve("matrices");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".f32")).toList();
    }
  }

  private static long matrixRows(TestGrid grid) throws Exception {
    try (Connection db = grid.database(); ResultSet rs = db.createStatement().executeQuery("SELECT COUNT(*) FROM matrices")) {
      return rs.getLong(1);
    }
  }

  /** The values of a .npy file ('<f4', C order, 2-D), checked against the expected shape. */
  static float[] parseNpy(byte[] npy, int rows, int cols) {
    assertEquals("\u0093NUMPY", new String(npy, 0, 6, StandardCharsets.ISO_8859_1), "magic");
    int major = npy[6];
    int headerLength = major == 1 ? (npy[8] & 0xff) | (npy[9] & 0xff) << 8
        : ByteBuffer.wrap(npy, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    int start = (major == 1 ? 10 : 12) + headerLength;
    assertEquals(0, start % 16, "the data starts aligned");
    String header = new String(npy, major == 1 ? 10 : 12, headerLength, StandardCharsets.ISO_8859_1);
    assertTrue(header.contains("'descr': '<f4'"), header);
    assertTrue(header.contains("'fortran_order': False"), header);
    assertTrue(header.replace(" ", "").contains("'shape':(" + rows + "," + cols + ")"), header);
    byte[] values = java.util.Arrays.copyOfRange(npy, start, npy.length);
    assertEquals((long) rows * cols * 4, values.length, "values after the header");
    return Reference.floats(values);
  }

  private static float[] fixtureValues(String raw) throws IOException {
    return Reference.floats(Files.readAllBytes(fixtures.resolve(raw)));
  }

  // ------------------------------------------------------------------ tests

  @Test
  @DisplayName("the same matrix as raw float32, C-order, Fortran-order and float64 .npy gets one id and is stored once; "
      + "201 then 200; it downloads as .npy (numpy header, '<f4', its shape) and raw with its shape headers")
  void sameContentOneId() throws Exception {
    try (TestGrid grid = TestGrid.start(LIMITS)) {
      String token = grid.adminToken();
      HttpResponse<String> first = uploadNpy(grid, token, "A_c.npy");
      JsonObject a = created(first, 201);
      String id = a.getString("id");
      assertEquals("/api/matrices/" + id, first.headers().firstValue("location").orElse(null));
      assertEquals(M, a.getInteger("rows"));
      assertEquals(K, a.getInteger("cols"));
      assertEquals((long) M * K * 4, a.getLong("bytes"));
      assertNotNull(a.getString("sha256"));

      for (String other : List.of("A_f.npy", "A_f8.npy")) {
        JsonObject again = created(uploadNpy(grid, token, other), 200, 201);
        assertEquals(id, again.getString("id"), other + " is the same matrix");
      }
      JsonObject raw = created(upload(grid, token, "application/octet-stream", "?rows=" + M + "&cols=" + K,
          Files.readAllBytes(fixtures.resolve("A.f32"))), 200, 201);
      assertEquals(id, raw.getString("id"), "raw float32");
      assertEquals(1, storedFiles(grid).size(), "stored once: " + storedFiles(grid));
      assertEquals(1, matrixRows(grid));

      float[] expected = fixtureValues("A.f32");
      HttpResponse<byte[]> npy = download(grid, token, "/api/matrices/" + id, "application/x-npy");
      assertEquals(200, npy.statusCode());
      assertArrayEquals(expected, parseNpy(npy.body(), M, K));
      HttpResponse<byte[]> rawOut = download(grid, token, "/api/matrices/" + id, null);
      assertEquals(200, rawOut.statusCode());
      assertEquals(String.valueOf(M), rawOut.headers().firstValue("x-matrix-rows").orElse(null));
      assertEquals(String.valueOf(K), rawOut.headers().firstValue("x-matrix-cols").orElse(null));
      assertArrayEquals(expected, Reference.floats(rawOut.body()));
      assertArrayEquals(expected, parseNpy(download(grid, token, "/api/matrices/" + id + "?format=npy", null).body(), M, K));

      JsonArray list = new JsonObject(grid.get("/api/matrices").body()).getJsonArray("matrices");
      assertEquals(1, list.size());
      assertEquals(id, list.getJsonObject(0).getString("id"));
      assertNotNull(list.getJsonObject(0).getString("createdAt"));
    }
  }

  @Test
  @DisplayName("two requestors uploading the same content both own it (one file); a third sees 404 on every route, "
      + "as for an unknown id, and cannot use it in a job")
  void ownership() throws Exception {
    try (TestGrid grid = TestGrid.start(LIMITS)) {
      String alice = grid.createToken("alice", Tokens.REQUESTOR);
      String bob = grid.createToken("bob", Tokens.REQUESTOR);
      String carol = grid.createToken("carol", Tokens.REQUESTOR);
      String id = created(uploadNpy(grid, alice, "B.npy"), 201).getString("id");
      HttpResponse<String> bobs = uploadNpy(grid, bob, "B_f.npy");
      assertEquals(201, bobs.statusCode(), "new to bob: " + bobs.body());
      assertEquals(id, new JsonObject(bobs.body()).getString("id"));
      assertEquals(200, uploadNpy(grid, bob, "B.npy").statusCode(), "bob has it already");
      assertEquals(1, storedFiles(grid).size());

      assertEquals(200, download(grid, bob, "/api/matrices/" + id, null).statusCode());
      HttpResponse<byte[]> stranger = download(grid, carol, "/api/matrices/" + id, null);
      HttpResponse<byte[]> unknown = download(grid, carol, "/api/matrices/nosuchmatrix", null);
      assertEquals(404, stranger.statusCode());
      assertEquals(new String(unknown.body()).replace("nosuchmatrix", id), new String(stranger.body()),
          "the same answer as an unknown id");
      assertEquals(0, new JsonObject(grid.as(carol).get("/api/matrices").body()).getJsonArray("matrices").size());
      assertEquals(1, new JsonObject(grid.as(alice).get("/api/matrices").body()).getJsonArray("matrices").size());
      assertEquals(404, delete(grid, carol, "/api/matrices/" + id).statusCode());
      HttpResponse<String> job = grid.as(carol).post("/api/jobs", new JsonObject().put("a", id).put("b", id).encode());
      assertEquals(404, job.statusCode(), job.body());
      assertTrue(job.body().contains(id), "names the id: " + job.body());

      // alice lets go: bob still has it, the file stays; bob lets go: it is gone.
      assertEquals(204, delete(grid, alice, "/api/matrices/" + id).statusCode());
      assertEquals(404, download(grid, alice, "/api/matrices/" + id, null).statusCode());
      assertEquals(1, storedFiles(grid).size());
      assertEquals(204, delete(grid, bob, "/api/matrices/" + id).statusCode());
      assertEquals(0, storedFiles(grid).size());
      assertEquals(0, matrixRows(grid));
    }
  }

  @Test
  @DisplayName("a job of two uploaded matrices ({\"a\",\"b\"}) is computed right by real workers: the .npy result "
      + "matches a float64 reference from the uploaded values; its inputs are the uploads; 404 unknown id, 422 shapes")
  void jobFromUploads() throws Exception {
    try (TestGrid grid = TestGrid.start(LIMITS)) {
      String alice = grid.createToken("alice", Tokens.REQUESTOR);
      String a = created(uploadNpy(grid, alice, "A_f.npy"), 201).getString("id");
      String b = created(uploadNpy(grid, alice, "B.npy"), 201).getString("id");
      String wrong = created(uploadNpy(grid, alice, "wrong_shape.npy"), 201).getString("id");

      HttpResponse<String> unknown = grid.as(alice).post("/api/jobs", new JsonObject().put("a", a).put("b", "nosuch").encode());
      assertEquals(404, unknown.statusCode(), unknown.body());
      assertTrue(unknown.body().contains("nosuch"), unknown.body());
      HttpResponse<String> mismatch = grid.as(alice).post("/api/jobs", new JsonObject().put("a", a).put("b", wrong).encode());
      assertEquals(422, mismatch.statusCode(), mismatch.body());
      assertTrue(mismatch.body().contains(M + "×" + K) && mismatch.body().contains((K + 1) + "×5"), mismatch.body());

      grid.worker("w1");
      grid.worker("w2");
      String job;
      try (TestGrid.JobWatch watch = grid.watch()) {
        job = grid.as(alice).submit(new JsonObject().put("a", a).put("b", b).put("chunkRows", 8).encode());
        assertEquals("completed", watch.finished(job).getString("status"));
      }
      float[] av = fixtureValues("A.f32");
      float[] bv = parseNpy(download(grid, alice, "/api/matrices/" + b, "application/x-npy").body(), K, N);
      HttpResponse<byte[]> result = download(grid, alice, "/api/jobs/" + job + "/result", "application/x-npy");
      assertEquals(200, result.statusCode());
      assertEquals("application/x-npy", result.headers().firstValue("content-type").orElse(null));
      float[] c = parseNpy(result.body(), M, N);
      Reference.assertProduct(av, bv, c, M, K, N);
      assertArrayEquals(c, parseNpy(download(grid, alice, "/api/jobs/" + job + "/result?format=npy", null).body(), M, N));
      assertArrayEquals(av, parseNpy(download(grid, alice, "/api/jobs/" + job + "/inputs/a", "application/x-npy").body(),
          M, K), "input A is the upload");
      assertArrayEquals(bv, Reference.floats(download(grid, alice, "/api/jobs/" + job + "/inputs/b", null).body()));

      // numpy reads the .npy result as it is.
      Path out = fixtures.resolve("C-" + job + ".npy");
      Files.write(out, result.body());
      Process check = new ProcessBuilder("python3", "-c", "import sys, numpy as np; c = np.load(sys.argv[1]); "
          + "a = np.load(sys.argv[2]).astype(np.float64); b = np.load(sys.argv[3]).astype(np.float64); "
          + "assert c.dtype == np.dtype('<f4') and c.shape == (" + M + ", " + N + "), (c.dtype, c.shape); "
          + "assert np.allclose(c, a @ b, rtol=1e-4, atol=1e-4); print('ok')",
          out.toString(), fixtures.resolve("A_c.npy").toString(), fixtures.resolve("B.npy").toString())
          .redirectErrorStream(true).start();
      String said = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(check.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, check.exitValue(), said);

      // A replay finds the same matrices.
      try (TestGrid.JobWatch watch = grid.watch()) {
        HttpResponse<String> replay = grid.as(alice).post("/api/jobs/" + job + "/replay", "");
        assertEquals(202, replay.statusCode(), replay.body());
        String again = new JsonObject(replay.body()).getString("id");
        assertEquals("completed", watch.finished(again).getString("status"));
        Reference.assertProduct(av, bv, parseNpy(download(grid, alice, "/api/jobs/" + again + "/result?format=npy", null)
            .body(), M, N), M, K, N);
      }
    }
  }

  @Test
  @DisplayName("bad uploads answer a clear 4xx and store nothing: wrong magic, int32, 3-D, truncated, NaN, a zero "
      + "dimension, over the limits (413), a raw body of the wrong length, another content type (415)")
  void badUploads() throws Exception {
    try (TestGrid grid = TestGrid.start(LIMITS)) {
      String token = grid.adminToken();
      Map<String, Integer> cases = new java.util.LinkedHashMap<>();
      cases.put("magic.npy", 400);
      cases.put("int32.npy", 400);
      cases.put("three_d.npy", 400);
      cases.put("truncated.npy", 400);
      cases.put("nan.npy", 400);
      cases.put("zero.npy", 400);
      cases.put("big.npy", 413);
      for (Map.Entry<String, Integer> c : cases.entrySet()) {
        HttpResponse<String> refused = uploadNpy(grid, token, c.getKey());
        assertEquals(c.getValue(), refused.statusCode(), c.getKey() + ": " + refused.body());
        String error = new JsonObject(refused.body()).getString("error");
        assertTrue(error != null && !error.isBlank(), c.getKey() + " says why: " + refused.body());
      }
      byte[] raw = Files.readAllBytes(fixtures.resolve("A.f32"));
      assertEquals(400, upload(grid, token, "application/octet-stream", "?rows=" + M + "&cols=" + (K + 1), raw)
          .statusCode(), "raw body shorter than rows·cols·4");
      assertEquals(400, upload(grid, token, "application/octet-stream", "", raw).statusCode(), "raw without a shape");
      assertEquals(413, upload(grid, token, "application/octet-stream", "?rows=600&cols=2", new byte[4800]).statusCode());
      assertEquals(413, upload(grid, token, "application/octet-stream", "?rows=300&cols=300", new byte[360000])
          .statusCode());
      HttpResponse<String> json = upload(grid, token, "application/json", "", "{}".getBytes(StandardCharsets.UTF_8));
      assertEquals(415, json.statusCode(), json.body());
      assertTrue(json.body().contains("application/x-npy") && json.body().contains("application/octet-stream"), json.body());
      assertEquals(415, upload(grid, token, null, "", raw).statusCode());
      assertEquals(0, storedFiles(grid).size(), "nothing stored: " + storedFiles(grid));
      assertEquals(0, matrixRows(grid));
      try (Stream<Path> left = Files.list(grid.dir().resolve("matrices").resolve("uploads"))) {
        assertEquals(0, left.count(), "no temporary file left");
      }
    }
  }

  @Test
  @DisplayName("a body longer than the upload bound (limits.maxElements·8 + 64 KiB) is cut off with 413")
  void bodyOverTheBound() throws Exception {
    try (TestGrid grid = TestGrid.start(Map.of("limits.maxElements", 1024))) {
      byte[] body = new byte[1024 * 8 + 65536 + 4096];
      HttpResponse<String> refused;
      try {
        refused = upload(grid, grid.adminToken(), "application/x-npy", "", body);
      } catch (IllegalStateException closed) {
        // The server may close the connection before the client has finished sending.
        refused = null;
      }
      if (refused != null) {
        assertEquals(413, refused.statusCode(), refused.body());
      }
      assertEquals(0, storedFiles(grid).size());
      // Chunked (no Content-Length): counted as it streams.
      HttpRequest.Builder chunked = HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/matrices"))
          .header("content-type", "application/x-npy")
          .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)));
      try {
        HttpResponse<String> cut = send(chunked, grid.adminToken(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, cut.statusCode(), cut.body());
      } catch (IllegalStateException closed) {
        // as above
      }
      assertEquals(0, storedFiles(grid).size());
      assertEquals(200, grid.get("/api/matrices").statusCode(), "the server still answers");
    }
  }

  @Test
  @DisplayName("a queued job of uploaded matrices survives a restart: the stored spec names them, the next start loads "
      + "them and real workers compute it right")
  void restartFindsTheMatrices() throws Exception {
    Path dir = Files.createTempDirectory("brain-test");
    String alice;
    String job;
    try (TestGrid grid = TestGrid.start(dir, LIMITS)) {
      alice = grid.createToken("alice", Tokens.REQUESTOR);
      String a = created(uploadNpy(grid, alice, "A_c.npy"), 201).getString("id");
      String b = created(uploadNpy(grid, alice, "B_f.npy"), 201).getString("id");
      job = grid.as(alice).submit(new JsonObject().put("a", a).put("b", b).encode()); // no worker: stays queued
    }
    try (TestGrid grid = TestGrid.start(dir, LIMITS)) {
      try (TestGrid.JobWatch watch = grid.watch()) {
        grid.worker("w1");
        assertEquals("completed", watch.finished(job).getString("status"));
      }
      float[] bv = parseNpy(download(grid, alice, "/api/jobs/" + job + "/inputs/b", "application/x-npy").body(), K, N);
      Reference.assertProduct(fixtureValues("A.f32"), bv,
          parseNpy(download(grid, alice, "/api/jobs/" + job + "/result", "application/x-npy").body(), M, N), M, K, N);
    }
  }

  @Test
  @DisplayName("DELETE while a queued job uses the matrix: 409; once the job has ended: 204, the file gone")
  void deleteWhileInUse() throws Exception {
    try (TestGrid grid = TestGrid.start(LIMITS)) {
      String alice = grid.createToken("alice", Tokens.REQUESTOR);
      String a = created(uploadNpy(grid, alice, "A_c.npy"), 201).getString("id");
      String b = created(uploadNpy(grid, alice, "B.npy"), 201).getString("id");
      String job = grid.as(alice).submit(new JsonObject().put("a", a).put("b", b).encode()); // no worker: stays queued
      HttpResponse<String> refused = delete(grid, alice, "/api/matrices/" + b);
      assertEquals(409, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains(job), "names the job: " + refused.body());
      assertEquals(2, storedFiles(grid).size());
      assertEquals(200, grid.as(alice).delete("/api/jobs/" + job).statusCode(), "cancelled");
      // The cancel reaches the job's row asynchronously: until then the matrix is still in use.
      HttpResponse<String> deleted = delete(grid, alice, "/api/matrices/" + b);
      for (int i = 0; i < 100 && deleted.statusCode() == 409; i++) {
        Thread.sleep(50);
        deleted = delete(grid, alice, "/api/matrices/" + b);
      }
      assertEquals(204, deleted.statusCode(), deleted.body());
      assertEquals(1, storedFiles(grid).size(), "B's file is gone");
      HttpResponse<byte[]> input = download(grid, alice, "/api/jobs/" + job + "/inputs/b", null);
      assertEquals(410, input.statusCode(), "the job's input B was deleted");
    }
  }
}

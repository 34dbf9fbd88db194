package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.model.InputGenerator;
import brain.model.Matrix;
import brain.testing.TestGrid;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The binary data plane (docs/PROTOCOL.md §4) against the real server, with raw HTTP where a
 * worker misbehaves: inputs fetched by capability and lease only, uploads bound to their lease
 * (another session's, an expired one, a wrong size, a replay: refused before the body, no
 * credit), and a worker's cache making a second job on the same B fetch B zero times.
 */
@Timeout(120)
class DataPlaneTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private TestGrid grid;

  @AfterEach
  void stop() {
    if (grid != null) {
      grid.close();
    }
  }

  private HeadlessWorker worker(String name) {
    return grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), name, Engines.cpu(1)).withSlots(1));
  }

  private static CompletableFuture<JsonObject> nextMessage(HeadlessWorker worker, String type) {
    return worker.nextMessage(m -> type.equals(m.getString("type"))).toCompletionStage().toCompletableFuture();
  }

  /** The worker holds every chunk it gets without answering; the first one completes the future. */
  private static CompletableFuture<HeadlessWorker.Chunk> holdChunks(HeadlessWorker worker) {
    CompletableFuture<HeadlessWorker.Chunk> held = new CompletableFuture<>();
    worker.behaviour((w, chunk) -> held.complete(chunk) || true);
    return held;
  }

  private HttpResponse<byte[]> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + url)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<String> put(String url, byte[] body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + url))
        .header("content-type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static byte[] littleEndian(float[] values) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    return buf.array();
  }

  private static String capability(String url) {
    return url.substring(url.indexOf("c=") + 2).replaceAll("&.*", "");
  }

  private static JsonObject input(JsonObject chunk, String role) {
    return chunk.getJsonArray("inputs").stream().map(JsonObject.class::cast)
        .filter(i -> role.equals(i.getString("role"))).findFirst().orElseThrow();
  }

  private long credited(String jobId) {
    return grid.job(jobId).getLong("chunksDone", 0L);
  }

  @Test
  @DisplayName("inputs fetched by capability; uploads of another session, a wrong size or twice refused before the body, no credit; the right one accepted once")
  void fetchAndUploadOwnership() throws Exception {
    grid = TestGrid.start(Map.of("scheduler.leaseMs", 60_000));
    HeadlessWorker owner = worker("owner");
    HeadlessWorker other = worker("other");
    CompletableFuture<HeadlessWorker.Chunk> held = holdChunks(owner);
    CompletableFuture<HeadlessWorker.Chunk> heldOther = holdChunks(other);
    CompletableFuture<JsonObject> ownerChunk = nextMessage(owner, "chunk");
    CompletableFuture<JsonObject> otherChunk = nextMessage(other, "chunk");
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":16,\"colsA\":24,\"colsB\":20,\"seed\":7,\"chunkRows\":8}");
      JsonObject mine = ownerChunk.get(30, TimeUnit.SECONDS);
      JsonObject theirs = otherChunk.get(30, TimeUnit.SECONDS);
      HeadlessWorker.Chunk chunk = held.get(30, TimeUnit.SECONDS);
      heldOther.get(30, TimeUnit.SECONDS);
      assertNull(mine.getValue("a"), "no payload on the bus");

      // B, fetched with the owner's capability: the generated B, raw float32, cacheable by that browser only.
      JsonObject b = input(mine, "b");
      HttpResponse<byte[]> fetched = get(b.getString("url"));
      assertEquals(200, fetched.statusCode());
      Matrix expectedB = InputGenerator.b(7, 24, 20);
      assertArrayEquals(littleEndian(expectedB.data()), fetched.body());
      String cache = fetched.headers().firstValue("cache-control").orElse("");
      assertTrue(cache.contains("private") && cache.contains("immutable"), cache);
      // Another item than the lease named, a capability of nobody, no capability: refused.
      String ownerCap = capability(b.getString("url"));
      String otherCap = capability(theirs.getString("upload"));
      assertEquals(404, get("/data/" + input(theirs, "a").getString("id") + "?c=" + ownerCap).statusCode(),
          "the other worker's slice of A was never named in a lease of this session");
      assertEquals(403, get("/data/" + b.getString("id") + "?c=AAAAAAAAAAAAAAAAAAAAAA").statusCode());
      assertEquals(400, get("/data/" + b.getString("id")).statusCode());

      byte[] right = littleEndian(owner.computeNow(chunk));
      String upload = mine.getString("upload");
      // Another socket's session cannot upload into this lease.
      assertEquals(404, put(upload.replace("c=" + ownerCap, "c=" + otherCap), right).statusCode());
      // The other worker's own upload is taken once; a replay of it is refused.
      HeadlessWorker.Chunk otherHeld = heldOther.get();
      byte[] otherRight = littleEndian(other.computeNow(otherHeld));
      assertEquals(204, put(theirs.getString("upload"), otherRight).statusCode());
      int replay = put(theirs.getString("upload"), otherRight).statusCode();
      assertTrue(replay == 404 || replay == 409, "a replayed upload is refused, not " + replay);
      other.behaviour((w, c) -> false); // from now on it computes what it gets
      // A wrong size is a wrong result (as a result message of the wrong length is): refused before
      // the body, the lease closed, no credit; the chunk goes to the other worker.
      try (TestGrid.TimelineWatch events = grid.timelineWatch()) {
        assertEquals(400, put(upload, java.util.Arrays.copyOf(right, right.length - 4)).statusCode());
        List<JsonObject> rejected = events.awaitCount(id, "rejected", 1);
        assertTrue(rejected.stream().anyMatch(e -> "owner".equals(e.getString("worker"))
            && e.getString("detail", "").contains("bytes")), rejected.toString());
      }
      assertEquals(404, put(upload, right).statusCode(), "the lease is closed: the right bytes come too late");
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encode());
      assertEquals(2, done.getLong("chunksDone"));
      assertTrue(other.chunksDone() >= 1, "the refused chunk was computed by the other worker");
      long ownerDone = new JsonObject(grid.get("/api/jobs/" + id + "/timeline").body()).getJsonArray("events").stream()
          .map(JsonObject.class::cast).filter(e -> "done".equals(e.getString("type")) && "owner".equals(e.getString("worker")))
          .count();
      assertEquals(0, ownerDone, "nothing of the owner's was accepted");
      grid.assertJobProduct(id, 16, 24, 20);
    }
  }

  @Test
  @DisplayName("a flood of fetches with a forged capability: past 20 refusals a second an address gets 429 without the scheduler being asked")
  void refusedFloodIsCheap() throws Exception {
    grid = TestGrid.start(Map.of());
    java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
    grid.vertx().eventBus().addOutboundInterceptor(delivery -> {
      if (brain.bus.Addresses.DATA_FETCH.equals(delivery.message().address())) {
        asked.incrementAndGet();
      }
      delivery.next();
    });
    int requests = 200;
    int throttled = 0;
    long started = System.nanoTime();
    for (int i = 0; i < requests; i++) {
      HttpResponse<byte[]> answer = get("/data/d-forged?c=forgedcapability" + i);
      if (answer.statusCode() == 429) {
        throttled++;
      } else {
        assertEquals(403, answer.statusCode(), new String(answer.body()));
      }
    }
    long seconds = (System.nanoTime() - started) / 1_000_000_000L + 1;
    // 20 refusals a second per address (DataApi.REFUSALS_PER_SECOND), counted by each HTTP instance
    // (one per core by default); the client's connection may move between them.
    long bound = (long) Runtime.getRuntime().availableProcessors() * 20 * (seconds + 1);
    assertTrue(asked.get() <= bound, asked.get() + " fetches reached the scheduler in " + seconds + " s (at most " + bound + ")");
    assertTrue(throttled > 0 && throttled >= requests - bound, throttled + " of " + requests + " answered 429 at once");
  }

  @Test
  @DisplayName("an upload into an expired lease is refused and not credited; the chunk is computed elsewhere")
  void expiredLeaseUpload() throws Exception {
    grid = TestGrid.start(Map.of("scheduler.leaseMs", 500, "scheduler.inlineMaxBytes", 0)); // its tiny job over HTTP, not inline
    HeadlessWorker slow = worker("slow");
    CompletableFuture<HeadlessWorker.Chunk> held = holdChunks(slow);
    CompletableFuture<JsonObject> message = nextMessage(slow, "chunk");
    try (TestGrid.JobWatch watch = grid.watch(); TestGrid.TimelineWatch events = grid.timelineWatch()) {
      String id = grid.submit("{\"rowsA\":8,\"colsA\":12,\"colsB\":10,\"chunkRows\":8}");
      JsonObject chunk = message.get(30, TimeUnit.SECONDS);
      byte[] right = littleEndian(slow.computeNow(held.get(30, TimeUnit.SECONDS)));
      events.awaitCount(id, "expired", 1);
      assertEquals(404, put(chunk.getString("upload"), right).statusCode());
      List<JsonObject> rejected = events.awaitCount(id, "rejected", 1);
      assertTrue(rejected.stream().anyMatch(e -> "slow".equals(e.getString("worker"))), rejected.toString());
      assertEquals(0, credited(id));
      slow.behaviour((w, c) -> false);
      HeadlessWorker punctual = worker("punctual");
      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, 8, 12, 10);
      assertTrue(punctual.chunksDone() + slow.chunksDone() >= 1);
    }
  }

  @Test
  @DisplayName("an upload that crosses the cancel of its lease (the job was cancelled) is answered 200 'not needed', once, with no credit and no rejection")
  void uploadCrossingCancel() throws Exception {
    grid = TestGrid.start(Map.of("scheduler.leaseMs", 60_000, "scheduler.inlineMaxBytes", 0));
    HeadlessWorker holder = worker("holder");
    CompletableFuture<HeadlessWorker.Chunk> held = holdChunks(holder);
    CompletableFuture<JsonObject> message = nextMessage(holder, "chunk");
    CompletableFuture<JsonObject> cancel = nextMessage(holder, "cancel");
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":8,\"colsA\":12,\"colsB\":10,\"chunkRows\":8}");
      JsonObject chunk = message.get(30, TimeUnit.SECONDS);
      byte[] right = littleEndian(holder.computeNow(held.get(30, TimeUnit.SECONDS)));
      HttpResponse<String> cancelled = grid.delete("/api/jobs/" + id);
      assertTrue(cancelled.statusCode() < 300, cancelled.body());
      assertEquals("cancelled", watch.finished(id).getString("status"));
      cancel.get(30, TimeUnit.SECONDS); // the worker was told; its upload was already on its way
      HttpResponse<String> late = put(chunk.getString("upload"), right);
      assertEquals(200, late.statusCode(), late.body());
      assertTrue(new JsonObject(late.body()).getBoolean("late"), late.body());
      assertEquals(404, put(chunk.getString("upload"), right).statusCode(), "answered 'not needed' once per lease");
      assertEquals(0, credited(id));
    }
  }

  @Test
  @DisplayName("a second job on the same B: the worker holding it fetches B zero times (bytes counted), only the new A")
  void cacheHitsAcrossJobs() throws Exception {
    grid = TestGrid.start();
    HeadlessWorker worker = worker("cached");
    String a1 = upload(InputGenerator.a(1, 32, 48));
    String a2 = upload(InputGenerator.a(2, 32, 48));
    String b = upload(InputGenerator.b(3, 48, 40));
    long bBytes = 48L * 40 * 4;
    long aBytes = 32L * 48 * 4;
    long cBytes = 32L * 40 * 4;
    try (TestGrid.JobWatch watch = grid.watch()) {
      String first = grid.submit("{\"a\":\"" + a1 + "\",\"b\":\"" + b + "\"}");
      assertEquals("completed", watch.finished(first).getString("status"));
      long afterFirst = worker.httpBytes();
      assertTrue(afterFirst >= aBytes + bBytes + cBytes, "the first job fetched A and B and uploaded C: " + afterFirst);
      String second = grid.submit("{\"a\":\"" + a2 + "\",\"b\":\"" + b + "\"}");
      assertEquals("completed", watch.finished(second).getString("status"));
      long secondJob = worker.httpBytes() - afterFirst;
      // A and C move again, B does not: far below what B alone would add.
      assertTrue(secondJob < aBytes + cBytes + bBytes / 2, "second job moved " + secondJob + " bytes; B is " + bBytes);
      assertTrue(worker.cache().hits() >= 1, "B came from the cache");
      grid.assertJobProduct(second, 32, 48, 40);
    }
  }

  @Test
  @DisplayName("a job of tiny payloads goes inline to a protocol-2 worker: no data-plane request, product right, credited")
  void tinyPayloadsInline() throws Exception {
    grid = TestGrid.start(Map.of("scheduler.inlineMaxBytes", 1024));
    HeadlessWorker worker = worker("tiny");
    CompletableFuture<JsonObject> chunk = worker.nextMessage(m -> "chunk".equals(m.getString("type")))
        .toCompletionStage().toCompletableFuture();
    try (TestGrid.JobWatch watch = grid.watch()) {
      // A rows 4×16×4 = 256 B, B 16×16×4 = 1 KiB, C rows 4×16×4 = 256 B: each within 1 KiB.
      String id = grid.submit("{\"rowsA\":16,\"colsA\":16,\"colsB\":16,\"chunkRows\":4}");
      JsonObject first = chunk.get(30, TimeUnit.SECONDS);
      assertNotNull(first.getString("a"), "A's rows inline: " + first.fieldNames());
      assertNull(first.getValue("inputs"), "no data items named");
      assertEquals("completed", watch.finished(id).getString("status"));
      assertEquals(0, worker.httpBytes(), "nothing over the data plane");
      assertEquals(4, credited(id));
      grid.assertJobProduct(id, 16, 16, 16);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"scheduler.inlineMaxBytes", "scheduler.bPartBytes"})
  @DisplayName("the same tiny job goes over the data plane when its A rows exceed scheduler.inlineMaxBytes or its B one b part")
  void inlineThresholdRespected(String setting) throws Exception {
    // A rows and C rows 256 B, B 1 KiB: 255 is under both.
    Map<String, Object> config = new java.util.HashMap<>(Map.of("scheduler.inlineMaxBytes", 1024));
    config.put(setting, 255);
    grid = TestGrid.start(config);
    HeadlessWorker worker = worker("tiny");
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":16,\"colsA\":16,\"colsB\":16,\"chunkRows\":4}");
      assertEquals("completed", watch.finished(id).getString("status"));
      assertTrue(worker.httpBytes() >= 16L * 16 * 4 * 3, "A, B and C over HTTP: " + worker.httpBytes());
      grid.assertJobProduct(id, 16, 16, 16);
    }
  }

  private String upload(Matrix m) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/matrices?rows="
            + m.rows() + "&cols=" + m.cols())).header("authorization", "Bearer " + TestGrid.ADMIN_TOKEN)
        .header("content-type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(littleEndian(m.data()))).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(response.statusCode() == 201 || response.statusCode() == 200, response.body());
    return new JsonObject(response.body()).getString("id");
  }
}

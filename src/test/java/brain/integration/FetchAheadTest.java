package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestGrid;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fetching ahead (docs/PROTOCOL.md §4, {@code prefetch}) against the real server and real
 * headless workers: a chunk message names the A slices of the chunks set aside for its
 * worker, which fetches them while it computes; nothing is fetched twice, a worker waiting with
 * a free slot is not starved by another's set-aside chunks, and set-aside chunks of a worker
 * that stops answering are computed by another.
 */
@Timeout(120)
class FetchAheadTest {
  /** Every payload over the data plane (A rows 2 KiB): none inline. */
  private static final Map<String, Object> DATA_PLANE = Map.of("scheduler.inlineMaxBytes", 16);
  private final HttpClient http = HttpClient.newHttpClient();
  private TestGrid grid;

  @AfterEach
  void stop() {
    if (grid != null) {
      grid.close();
    }
  }

  private HeadlessWorker worker(String name, int slots) {
    return grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), name, Engines.cpu(1)).withSlots(slots));
  }

  @Test
  @DisplayName("a worker with two slots is told the A slices of the next two chunks, may fetch them before their lease, and fetches no slice twice")
  void namesTheNextChunksAndFetchesEachSliceOnce() throws Exception {
    grid = TestGrid.start(DATA_PLANE);
    HeadlessWorker worker = worker("ahead", 2);
    CompletableFuture<JsonObject> first = worker.nextMessage(m -> "chunk".equals(m.getString("type")))
        .toCompletionStage().toCompletableFuture();
    try (TestGrid.JobWatch watch = grid.watch()) {
      // 8 chunks of 8 rows: A slices 8×64, B 64×32.
      String id = grid.submit("{\"rowsA\":64,\"colsA\":64,\"colsB\":32,\"chunkRows\":8,\"seed\":5}");
      JsonObject chunk = first.get(30, TimeUnit.SECONDS);
      JsonArray ahead = chunk.getJsonArray("prefetch");
      assertNotNull(ahead, "the first chunk names what to fetch ahead: " + chunk.fieldNames());
      assertEquals(2, ahead.size(), "as many as the worker has slots: " + ahead.encode());
      JsonObject next = ahead.getJsonObject(0);
      assertEquals("a", next.getString("role"));
      assertEquals(8, next.getInteger("rows"));
      assertEquals(64, next.getInteger("cols"));
      assertNotEquals(aSliceOf(chunk).getString("id"), next.getString("id"), "another chunk's slice");
      // Granted to this worker's capability before any lease names it: it can fetch it now.
      HttpResponse<byte[]> fetched = http.send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + next.getString("url")))
          .build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, fetched.statusCode());
      assertEquals(8 * 64 * 4, fetched.body().length);

      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, 64, 64, 32);
      assertTrue(worker.fetchedAhead() >= 1, "slices fetched before a chunk named them as its input: " + worker.fetchedAhead());
      assertEquals((64L * 64 + 64L * 32 + 64L * 32) * Float.BYTES, worker.payloadBytes(),
          "A, B and C moved once each: a slice fetched ahead and named again by its chunk is not fetched again");
    }
  }

  @Test
  @DisplayName("nothing is set aside while another worker waits with a free slot: two one-slot workers, two chunks, each slice moves once")
  void noChunkSetAsideFromAWaitingWorker() throws Exception {
    grid = TestGrid.start(DATA_PLANE);
    HeadlessWorker one = worker("one", 1);
    HeadlessWorker two = worker("two", 1);
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":16,\"colsA\":64,\"colsB\":32,\"chunkRows\":8,\"seed\":6}");
      assertEquals("completed", watch.finished(id).getString("status"));
      grid.assertJobProduct(id, 16, 64, 32);
      assertEquals(1, one.chunksDone(), "each worker computed one chunk");
      assertEquals(1, two.chunksDone(), "each worker computed one chunk");
      // Each worker: its A slice, all of B, its C rows. A slice fetched ahead for the other would show here.
      long each = (8L * 64 + 64L * 32 + 8L * 32) * Float.BYTES;
      assertEquals(2 * each, one.payloadBytes() + two.payloadBytes());
    }
  }

  @Test
  @DisplayName("chunks set aside for a worker that stops answering are computed by another once nothing else is pending; its leases expire and go there too")
  void setAsideChunksOfAFrozenWorkerAreNotStranded() throws Exception {
    grid = TestGrid.start(Map.of("scheduler.inlineMaxBytes", 16, "scheduler.leaseMs", 1500));
    HeadlessWorker frozen = worker("frozen", 2);
    CompletableFuture<JsonObject> first = frozen.nextMessage(m -> "chunk".equals(m.getString("type")))
        .toCompletionStage().toCompletableFuture();
    frozen.behaviour((w, chunk) -> true); // holds every chunk it gets, never answers
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":48,\"colsA\":64,\"colsB\":32,\"chunkRows\":8,\"seed\":7}");
      assertEquals(2, first.get(30, TimeUnit.SECONDS).getJsonArray("prefetch").size(), "two chunks set aside for it");
      HeadlessWorker helper = worker("helper", 1);
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encode());
      assertTrue(helper.chunksDone() >= 6, "the helper computed all six (the two free, the two set aside, the two"
          + " expired): " + helper.chunksDone());
      assertEquals(0, frozen.chunksDone());
      grid.assertJobProduct(id, 48, 64, 32);
    }
  }

  @Test
  @DisplayName("a worker whose declared memory holds one chunk and half a slice more is told nothing to fetch ahead")
  void nothingAheadBeyondTheMemoryBudget() throws Exception {
    grid = TestGrid.start(DATA_PLANE);
    long oneChunk = (8L * 64 + 64L * 32 + 8L * 32) * Float.BYTES; // A slice, B, C rows
    HeadlessWorker small = grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), "small", Engines.cpu(1))
        .withSlots(2).withMemory(oneChunk + 8L * 64 * Float.BYTES / 2));
    CompletableFuture<JsonObject> first = small.nextMessage(m -> "chunk".equals(m.getString("type")))
        .toCompletionStage().toCompletableFuture();
    try (TestGrid.JobWatch watch = grid.watch()) {
      String id = grid.submit("{\"rowsA\":64,\"colsA\":64,\"colsB\":32,\"chunkRows\":8,\"seed\":8}");
      JsonObject chunk = first.get(30, TimeUnit.SECONDS);
      assertEquals(8, chunk.getInteger("rows"), "row slices, as asked");
      assertNull(chunk.getValue("prefetch"), "no slice ahead fits: " + chunk.getValue("prefetch"));
      assertEquals("completed", watch.finished(id).getString("status"));
      assertEquals(0, small.fetchedAhead());
      assertTrue(small.largestChunkBytes() <= oneChunk, "within its budget: " + small.largestChunkBytes());
      grid.assertJobProduct(id, 64, 64, 32);
    }
  }

  private static JsonObject aSliceOf(JsonObject chunk) {
    List<JsonObject> items = chunk.getJsonArray("inputs").stream().map(JsonObject.class::cast).toList();
    return items.stream().filter(i -> "a".equals(i.getString("role"))).findFirst().orElseThrow();
  }
}

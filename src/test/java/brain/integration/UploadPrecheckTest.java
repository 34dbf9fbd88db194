package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestGrid;
import brain.worker.Engines;
import brain.worker.HeadlessWorker;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An upload larger than the few bytes read before any check (64 KiB) is checked before its body
 * is read: announced with the wrong size, it is refused while the worker has sent only its
 * headers, and the lease goes to another worker with no credit.
 */
@Timeout(60)
class UploadPrecheckTest {
  private TestGrid grid;

  @AfterEach
  void stop() {
    if (grid != null) {
      grid.close();
    }
  }

  @Test
  @DisplayName("a 1 MB upload into a lease of 640 bytes is refused 413 on its headers alone, rejected on the timeline, no credit")
  void largeWrongSizeRefusedBeforeTheBody() throws Exception {
    grid = TestGrid.start(Map.of("scheduler.inlineMaxBytes", 16, "scheduler.leaseMs", 60_000));
    HeadlessWorker holder = grid.worker(HeadlessWorker.Options.of("127.0.0.1", grid.port(), "holder", Engines.cpu(1))
        .withSlots(1));
    CompletableFuture<JsonObject> chunk = holder.nextMessage(m -> "chunk".equals(m.getString("type")))
        .toCompletionStage().toCompletableFuture();
    holder.behaviour((w, c) -> true); // holds its chunk: the test uploads into its lease
    try (TestGrid.JobWatch watch = grid.watch(); TestGrid.TimelineWatch timeline = grid.timelineWatch()) {
      String id = grid.submit("{\"rowsA\":8,\"colsA\":24,\"colsB\":20,\"seed\":3,\"chunkRows\":8}");
      String upload = chunk.get(30, TimeUnit.SECONDS).getString("upload");
      try (Socket socket = new Socket("127.0.0.1", grid.port())) {
        socket.setSoTimeout(10_000); // a server waiting for the megabyte would never answer
        OutputStream out = socket.getOutputStream();
        out.write(("PUT " + upload + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
            .readLine();
        assertEquals("HTTP/1.1 413 Request Entity Too Large", status);
      }
      List<JsonObject> events = timeline.awaitCount(id, "rejected", 1);
      assertTrue(events.stream().anyMatch(e -> "rejected".equals(e.getString("type"))
          && e.getString("detail", "").contains("exactly 640 bytes")), events.toString());
      // The holder's identity is excluded for a wrong result: another worker computes the chunk.
      HeadlessWorker helper = grid.worker("helper");
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encode());
      assertEquals(1, helper.chunksDone());
      grid.assertJobProduct(id, 8, 24, 20);
    }
  }
}

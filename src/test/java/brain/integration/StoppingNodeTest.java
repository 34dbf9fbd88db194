package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.TestGrid;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node that drains before it stops (SIGTERM) answers what was under way and refuses what
 * comes after, so that no client's Idempotency-Key is left "in progress" by a clean stop: the
 * real server on a real port, an upload held half-sent on a raw socket across the drain.
 */
@Timeout(60)
class StoppingNodeTest {
  private TestGrid grid;

  @AfterEach
  void stop() {
    if (grid != null) {
      grid.close();
    }
  }

  @Test
  @DisplayName("draining: an upload under way is answered before the drain ends; a new job gets 503 with Retry-After, no key claimed; reads answered")
  void drainAnswersWhatWasUnderWayAndRefusesTheRest() throws Exception {
    grid = TestGrid.start();
    try (Socket upload = new Socket("127.0.0.1", grid.port())) {
      upload.setSoTimeout(20_000);
      OutputStream out = upload.getOutputStream();
      out.write(("POST /api/matrices?rows=2&cols=3 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
          + TestGrid.ADMIN_TOKEN + "\r\nContent-Type: application/octet-stream\r\nIdempotency-Key: held-upload\r\n"
          + "Content-Length: 24\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[12]); // half of 2×3 float32
      out.flush();
      awaitUnderWay(1);

      Future<Integer> drained = grid.server().drain();
      HttpResponse<String> refused = grid.send(HttpRequest.newBuilder(URI.create(grid.baseUrl() + "/api/jobs"))
          .header("authorization", "Bearer " + TestGrid.ADMIN_TOKEN).header("content-type", "application/json")
          .header("idempotency-key", "after-the-stop").POST(HttpRequest.BodyPublishers.ofString(
              "{\"rowsA\":4,\"colsA\":4,\"colsB\":4}")).build());
      assertEquals(503, refused.statusCode(), refused.body());
      assertEquals("1", refused.headers().firstValue("retry-after").orElse(null));
      assertTrue(new JsonObject(refused.body()).getString("error").contains("this node is stopping"), refused.body());
      assertEquals(0, keysNamed("after-the-stop"), "a refused request claims no key: another node takes it at once");
      assertEquals(200, grid.get("/api/jobs").statusCode(), "reads are still answered");
      assertFalse(drained.isComplete(), "the drain waits for the upload under way");

      out.write(new byte[12]);
      out.flush();
      String status = statusLine(upload.getInputStream());
      assertTrue(status.startsWith("HTTP/1.1 201"), status);
      assertEquals(0, drained.await(10, TimeUnit.SECONDS), "no workers were left to move");
      assertEquals(0, grid.server().apiRequestsUnderWay());
    }
  }

  private void awaitUnderWay(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (grid.server().apiRequestsUnderWay() != n) { // the request reaches the router on its headers
      assertTrue(System.nanoTime() < deadline, "the upload never reached the API");
      Thread.sleep(5);
    }
  }

  private int keysNamed(String key) throws Exception {
    return grid.count("SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = ?", key);
  }


  private static String statusLine(InputStream in) throws Exception {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
      line.append((char) c);
    }
    return line.toString().strip();
  }
}

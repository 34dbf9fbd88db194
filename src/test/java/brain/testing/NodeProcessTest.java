package brain.testing;

import static org.junit.jupiter.api.Assertions.*;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The node-process harness itself: a frozen process answers nothing until it is thawed; SIGTERM alone exits 0. */
@Timeout(120)
class NodeProcessTest {

  @Test
  @DisplayName("sigstop freezes the node (no answer), sigcont thaws it (answers again); sigterm of a single node exits 0")
  void stopContinueTerm() throws Exception {
    Path dir = Files.createTempDirectory("brain-node-process");
    try (NodeProcess node = new NodeProcess(dir, "single", "jdbc:sqlite:" + dir.resolve("brain.db")).start(60)) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      HttpRequest health = HttpRequest.newBuilder(URI.create(node.url() + "/api/health")).timeout(Duration.ofSeconds(2)).build();
      assertEquals(200, http.send(health, HttpResponse.BodyHandlers.ofString()).statusCode());
      node.sigstop();
      assertThrows(HttpTimeoutException.class, () -> http.send(health, HttpResponse.BodyHandlers.ofString()),
          "a frozen node answers nothing");
      node.sigcont();
      HttpRequest patient = HttpRequest.newBuilder(URI.create(node.url() + "/api/health")).timeout(Duration.ofSeconds(20)).build();
      assertEquals(200, http.send(patient, HttpResponse.BodyHandlers.ofString()).statusCode(), "thawed, it answers");
      assertEquals(0, node.sigterm(30));
      assertEquals("[]", node.stackTraceLines().toString(), node.output());
    }
  }
}

package brain.bridge;

import static org.junit.jupiter.api.Assertions.*;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What a socket may send once its budget is spent: one answer per inline chunk it was sent, nothing more. */
class PeerStateTest {
  /** A budget that refills too slowly to matter within the test: one frame at once, 64 KiB. */
  private static PeerState spentPeer() {
    PeerState peer = new PeerState("p-1", "127.0.0.1", new BridgeLimits(1e-6, 1, 1e-6, 65_536, 1));
    assertNull(peer.charge(100), "the one frame of its burst");
    return peer;
  }

  private static JsonObject chunk(boolean inline) {
    JsonObject chunk = new JsonObject().put("type", "chunk").put("rows", 4).put("colsB", 16);
    return inline ? chunk.put("a", "AAAA") : chunk.put("inputs", new io.vertx.core.json.JsonArray());
  }

  @Test
  @DisplayName("an inline chunk pays for one answer of up to its result in base64 and 1 KiB; the next frame is over budget")
  void inlineChunkPaysForOneAnswer() {
    PeerState peer = spentPeer();
    peer.sent(chunk(true));
    assertNull(peer.charge(1024 + 342), "the result frame: 4×16 float32 in base64 (342 characters) and its message");
    assertEquals("messages", peer.charge(100), "nothing earned is left");
  }

  @Test
  @DisplayName("a data-plane chunk pays for nothing: its result goes over HTTP")
  void dataPlaneChunkPaysForNothing() {
    PeerState peer = spentPeer();
    peer.sent(chunk(false));
    assertEquals("messages", peer.charge(100));
  }

  @Test
  @DisplayName("an answer larger than what its chunk earned is charged to the budget")
  void oversizeAnswerIsNotPaid() {
    PeerState peer = spentPeer();
    peer.sent(chunk(true));
    assertEquals("messages", peer.charge(1024 + 343 + 1));
  }
}

package brain.bridge;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicBoolean;

/** One bridge socket as the guard knows it: its peer id, its remote host, and its budgets. */
final class PeerState {
  final String peerId;
  final String remoteHost;
  private final TokenBucket messages;
  private final TokenBucket bytes;
  private final AtomicBoolean overBudget = new AtomicBoolean();
  /** The signed-in dashboard user ({name, role}) and its token, or null: see {@link DashboardAuth}. */
  volatile JsonObject user;
  volatile String token;
  /** Completes once the handshake's sign-in is settled (at once for a socket without a session cookie). */
  volatile io.vertx.core.Future<Void> signedIn = io.vertx.core.Future.succeededFuture();

  PeerState(String peerId, String remoteHost, BridgeLimits limits) {
    this.peerId = peerId;
    this.remoteHost = remoteHost;
    this.messages = limits.messageBucket();
    this.bytes = limits.byteBucket();
  }

  /**
   * Charges one frame (and its estimated bytes) to the budgets. Null when within them; else
   * which budget it broke, once: later frames of a socket over budget are refused without
   * charging, and answer "" so the caller closes the socket only once.
   */
  String charge(long frameBytes) {
    if (overBudget.get()) {
      return "";
    }
    // The message count first: it costs nothing, and a flood of small frames stops here.
    if (!messages.take(1)) {
      return overBudget.compareAndSet(false, true) ? "messages" : "";
    }
    if (frameBytes > 0 && !bytes.take(frameBytes)) {
      return overBudget.compareAndSet(false, true) ? "bytes" : "";
    }
    return null;
  }
}

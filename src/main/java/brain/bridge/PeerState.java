package brain.bridge;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicBoolean;

/** One bridge socket as the guard knows it: its peer id, its remote host, and its budgets. */
final class PeerState {
  /** A result or failure frame around its data: address, ids, times, an error sentence. */
  private static final long ANSWER_ENVELOPE_BYTES = 1024;
  final String peerId;
  final String remoteHost;
  private final TokenBucket messages;
  private final TokenBucket bytes;
  private final AtomicBoolean overBudget = new AtomicBoolean();
  /** Frames (and their bytes) this socket may send beyond its budgets: one per inline chunk sent to it. */
  private long earnedFrames;
  private long earnedBytes;
  private final long maxEarnedFrames;
  private final long maxEarnedBytes;
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
    this.maxEarnedFrames = (long) limits.messageBurst();
    this.maxEarnedBytes = (long) limits.byteBurst();
  }

  /**
   * The server sent this socket {@code chunk}: when it came inline, its answer (a result frame
   * of rows × colsB float32 in base64url and the message around it, or a failure) is paid for,
   * whatever the rate. A fast worker on a job of small inline chunks sends a frame per chunk,
   * thousands a second on a LAN, and the message budget closed its socket mid-job. A data-plane
   * chunk earns nothing: its result goes up over HTTP. Earned frames are capped at a burst: the
   * server decides how many chunks a socket gets, so a peer cannot earn more than it is asked to
   * answer.
   */
  void sent(JsonObject chunk) {
    if (chunk.containsKey("a") && chunk.getValue("rows") instanceof Integer rows
        && chunk.getValue("colsB") instanceof Integer cols) {
      earn(((long) rows * cols * Float.BYTES * 4 + 2) / 3 + ANSWER_ENVELOPE_BYTES); // base64url, no padding
    }
  }

  private synchronized void earn(long answerBytes) {
    earnedFrames = Math.min(maxEarnedFrames, earnedFrames + 1);
    earnedBytes = Math.min(maxEarnedBytes, earnedBytes + answerBytes);
  }

  private synchronized boolean spendEarned(long frameBytes) {
    if (earnedFrames == 0 || frameBytes > earnedBytes) {
      return false;
    }
    earnedFrames--;
    earnedBytes -= frameBytes;
    return true;
  }

  /**
   * Charges one frame (and its bytes) to what it earned, else to the budgets. Null when within them; else
   * which budget it broke, once: later frames of a socket over budget are refused without
   * charging, and answer "" so the caller closes the socket only once.
   */
  String charge(long frameBytes) {
    if (overBudget.get()) {
      return "";
    }
    if (spendEarned(frameBytes)) {
      return null;
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

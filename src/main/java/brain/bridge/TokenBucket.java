package brain.bridge;

/**
 * A token bucket: {@code ratePerSecond} tokens refill continuously up to {@code burst}; a take
 * that finds too few tokens fails and takes nothing. Refilled lazily from {@link System#nanoTime}
 * on each take, so an idle socket costs no timer. Synchronized: the frames of one SockJS session
 * can arrive on different event loops (XHR transports post on new connections).
 */
final class TokenBucket {
  private final double ratePerNano;
  private final double burst;
  private double tokens;
  private long last;

  TokenBucket(double ratePerSecond, double burst) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.last = System.nanoTime();
  }

  /** Takes {@code amount} tokens if the bucket holds them; false (and nothing taken) otherwise. */
  synchronized boolean take(double amount) {
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - last) * ratePerNano);
    last = now;
    if (tokens < amount) {
      return false;
    }
    tokens -= amount;
    return true;
  }
}

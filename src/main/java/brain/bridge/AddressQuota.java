package brain.bridge;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open sockets per remote address, capped. Shared by every HTTP instance (each on its own event
 * loop), so counts change atomically in the map; an address with no socket has no entry.
 */
final class AddressQuota {
  private final Map<String, Integer> open = new ConcurrentHashMap<>();
  private volatile int max;

  AddressQuota(int max) {
    this.max = max;
  }

  void max(int max) {
    this.max = max;
  }

  /** Counts one more socket for {@code host}, unless it already holds the maximum. */
  boolean tryAcquire(String host) {
    boolean[] acquired = {false};
    open.compute(host, (k, n) -> {
      int count = n == null ? 0 : n;
      if (count >= max) {
        return n;
      }
      acquired[0] = true;
      return count + 1;
    });
    return acquired[0];
  }

  void release(String host) {
    open.computeIfPresent(host, (k, n) -> n <= 1 ? null : n - 1);
  }
}

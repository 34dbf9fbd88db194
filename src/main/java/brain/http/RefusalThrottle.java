package brain.http;

import java.util.HashMap;
import java.util.Map;

/**
 * Makes refused data-plane requests cheap: an address whose requests were refused more than
 * {@code limit} times within the current second gets {@code 429} at once, without asking the
 * scheduler, for the rest of that second. Honest workers are never refused, so never throttled.
 * One per HTTP verticle instance (one event loop): no locking.
 */
final class RefusalThrottle {
  /** Beyond this many addresses in one table the table starts over: a flood of addresses costs memory, not more. */
  private static final int MAX_ADDRESSES = 10_000;

  private final int limit;
  /** Per address: {second, refusals in that second}. */
  private final Map<String, long[]> refusals = new HashMap<>();

  RefusalThrottle(int limit) {
    this.limit = limit;
  }

  boolean throttled(String address) {
    long[] count = refusals.get(address);
    return count != null && count[0] == second() && count[1] >= limit;
  }

  void refused(String address) {
    if (refusals.size() >= MAX_ADDRESSES && !refusals.containsKey(address)) {
      refusals.clear();
    }
    long now = second();
    long[] count = refusals.computeIfAbsent(address, a -> new long[] {now, 0});
    if (count[0] != now) {
      count[0] = now;
      count[1] = 0;
    }
    count[1]++;
  }

  private static long second() {
    return System.currentTimeMillis() / 1000;
  }
}

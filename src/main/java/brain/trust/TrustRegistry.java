package brain.trust;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the grid has learnt of worker identities and of the network addresses they come from.
 * An identity starts on probation (stricter checks) and becomes trusted after enough verified
 * chunks; one wrong result excludes it, for longer each time. New identities from an address
 * whose identities keep getting excluded are suspects: checked most strictly, given one slot,
 * and only a few may join per minute, so a fresh id buys no way back. Addresses are throttled,
 * never banned: many honest people can share one (a classroom behind one NAT).
 *
 * <p>Bounded (least recently seen entries are forgotten) and confined to the scheduler's thread.
 */
public final class TrustRegistry {
  public enum Level { TRUSTED, PROBATION, SUSPECT }

  /** The knobs, from {@code trust.*} in the configuration. */
  public record Settings(int probationChunks, long exclusionMs, int suspectAfterExclusions, long addressMemoryMs,
      int suspectJoinsPerMinute) {}

  private static final int MAX_IDENTITIES = 100_000;
  private static final int MAX_ADDRESSES = 20_000;
  private static final long MINUTE_MS = 60_000;

  private static final class Identity {
    long verifiedChunks;
    long refused;
    int exclusions;
    long excludedUntil;
  }

  private static final class Address {
    final ArrayDeque<Long> exclusions = new ArrayDeque<>();
    final ArrayDeque<Long> suspectJoins = new ArrayDeque<>();
  }

  private final Settings settings;
  private final Map<String, Identity> identities = bounded(MAX_IDENTITIES);
  private final Map<String, Address> addresses = bounded(MAX_ADDRESSES);

  public TrustRegistry(Settings settings) {
    this.settings = settings;
  }

  /** How strictly to check work from {@code workerId} arriving from {@code address}. */
  public Level level(String workerId, String address, long now) {
    Identity identity = identities.get(workerId);
    if (identity != null && identity.refused == 0 && identity.verifiedChunks >= settings.probationChunks()) {
      return Level.TRUSTED;
    }
    return suspectAddress(address, now) ? Level.SUSPECT : Level.PROBATION;
  }

  /** Whether the identity has had verified work accepted (its reported failures then count against a chunk). */
  public boolean hasVerifiedWork(String workerId) {
    Identity identity = identities.get(workerId);
    return identity != null && identity.verifiedChunks > 0 && identity.refused == 0;
  }

  /** A chunk of this identity passed the server's check. */
  public void verified(String workerId) {
    identities.computeIfAbsent(workerId, id -> new Identity()).verifiedChunks++;
  }

  /**
   * A result of this identity was refused as wrong: it is excluded (twice as long each time)
   * and its address remembers it. Answers until when it is excluded.
   */
  public long refused(String workerId, String address, long now) {
    Identity identity = identities.computeIfAbsent(workerId, id -> new Identity());
    identity.refused++;
    if (identity.excludedUntil <= now) {
      long span = settings.exclusionMs() << Math.min(identity.exclusions, 10);
      identity.exclusions++;
      identity.excludedUntil = now + span;
      if (address != null) {
        Address record = addresses.computeIfAbsent(address, a -> new Address());
        record.exclusions.addLast(now);
        trim(record.exclusions, now - settings.addressMemoryMs());
      }
    }
    return identity.excludedUntil;
  }

  public boolean excluded(String workerId, long now) {
    return excludedUntil(workerId) > now;
  }

  /** Until when the identity is excluded (0 if it never was). */
  public long excludedUntil(String workerId) {
    Identity identity = identities.get(workerId);
    return identity == null ? 0 : identity.excludedUntil;
  }

  /**
   * Whether a new session of {@code workerId} may join from {@code address} now. Only suspects
   * are limited: at most {@code suspectJoinsPerMinute} joins a minute from their address.
   */
  public boolean mayJoin(String workerId, String address, long now) {
    if (level(workerId, address, now) != Level.SUSPECT) {
      return true;
    }
    Address record = addresses.get(address);
    trim(record.suspectJoins, now - MINUTE_MS);
    if (record.suspectJoins.size() >= settings.suspectJoinsPerMinute()) {
      return false;
    }
    record.suspectJoins.addLast(now);
    return true;
  }

  private boolean suspectAddress(String address, long now) {
    Address record = address == null ? null : addresses.get(address);
    if (record == null) {
      return false;
    }
    trim(record.exclusions, now - settings.addressMemoryMs());
    return record.exclusions.size() >= settings.suspectAfterExclusions();
  }

  private static void trim(ArrayDeque<Long> times, long before) {
    while (!times.isEmpty() && times.peekFirst() < before) {
      times.pollFirst();
    }
  }

  private static <V> Map<String, V> bounded(int max) {
    return new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > max;
      }
    };
  }
}

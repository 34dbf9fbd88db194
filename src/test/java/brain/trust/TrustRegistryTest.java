package brain.trust;

import static org.junit.jupiter.api.Assertions.*;

import brain.trust.TrustRegistry.Level;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Standing of identities and addresses: earned by verified work, lost by one wrong result; addresses throttled, not banned. */
class TrustRegistryTest {
  private static final long MINUTE = 60_000;
  private final TrustRegistry trust = new TrustRegistry(new TrustRegistry.Settings(3, 10 * MINUTE, 2, 60 * MINUTE, 2));

  @Test
  @DisplayName("a new identity is on probation until it has verified work; one wrong result excludes it, twice as long the next time")
  void identities() {
    long now = 1_000_000;
    assertEquals(Level.PROBATION, trust.level("w-new", "10.0.0.1", now));
    assertFalse(trust.hasVerifiedWork("w-new"));
    for (int i = 0; i < 3; i++) {
      trust.verified("w-new");
    }
    assertEquals(Level.TRUSTED, trust.level("w-new", "10.0.0.1", now));
    assertTrue(trust.hasVerifiedWork("w-new"));

    long until = trust.refused("w-new", "10.0.0.1", now);
    assertEquals(now + 10 * MINUTE, until);
    assertTrue(trust.excluded("w-new", now + 1));
    assertEquals(Level.PROBATION, trust.level("w-new", "10.0.0.1", now), "a refusal ends trust");
    assertFalse(trust.hasVerifiedWork("w-new"), "its reported failures no longer count against chunks");
    assertFalse(trust.excluded("w-new", until));
    assertEquals(until + 20 * MINUTE, trust.refused("w-new", "10.0.0.1", until), "the second exclusion lasts twice as long");
  }

  @Test
  @DisplayName("an address whose identities keep getting excluded makes new ones suspects, a few of which may join a minute")
  void addresses() {
    long now = 5_000_000;
    trust.refused("w-cheat-1", "10.0.0.9", now);
    assertEquals(Level.PROBATION, trust.level("w-fresh", "10.0.0.9", now), "one exclusion is not a pattern");
    trust.refused("w-cheat-2", "10.0.0.9", now);
    assertEquals(Level.SUSPECT, trust.level("w-fresh", "10.0.0.9", now));
    assertEquals(Level.PROBATION, trust.level("w-fresh", "10.0.0.10", now), "other addresses are not affected");

    assertTrue(trust.mayJoin("w-s1", "10.0.0.9", now));
    assertTrue(trust.mayJoin("w-s2", "10.0.0.9", now));
    assertFalse(trust.mayJoin("w-s3", "10.0.0.9", now), "throttled: two suspects a minute");
    assertTrue(trust.mayJoin("w-s3", "10.0.0.9", now + MINUTE + 1), "not banned: a minute later one more may join");
    assertTrue(trust.mayJoin("w-elsewhere", "10.0.0.10", now));

    // An honest worker with a record behind the same NAT stays trusted.
    for (int i = 0; i < 3; i++) {
      trust.verified("w-honest");
    }
    assertEquals(Level.TRUSTED, trust.level("w-honest", "10.0.0.9", now));
    assertTrue(trust.mayJoin("w-honest", "10.0.0.9", now));

    assertEquals(Level.PROBATION, trust.level("w-later", "10.0.0.9", now + 61 * MINUTE), "the address is forgiven after an hour");
  }
}

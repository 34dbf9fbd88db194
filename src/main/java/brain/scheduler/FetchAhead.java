package brain.scheduler;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Pending chunks of one row-slice job set aside for a session, which was told to fetch their A
 * slices ahead (docs/PROTOCOL.md §4, {@code prefetch}): that session takes them first, others
 * only once nothing else is pending. Confined to the scheduler's thread, like {@link ChunkBook}.
 */
final class FetchAhead {
  private final Map<Integer, String> holderOf = new HashMap<>();
  private final Map<String, Deque<Integer>> bySession = new HashMap<>();

  boolean isEmpty() {
    return holderOf.isEmpty();
  }

  /** How many chunks are set aside (all of them pending). */
  int size() {
    return holderOf.size();
  }

  /** The session's reserved chunks, oldest first (empty for none). */
  Collection<Integer> of(String sessionId) {
    Deque<Integer> chunks = bySession.get(sessionId);
    return chunks == null ? List.of() : chunks;
  }

  /** Whether {@code chunk} is set aside for a session other than {@code sessionId}. */
  boolean heldByAnother(int chunk, String sessionId) {
    String holder = holderOf.get(chunk);
    return holder != null && !holder.equals(sessionId);
  }

  boolean isHeld(int chunk) {
    return holderOf.containsKey(chunk);
  }

  void hold(int chunk, String sessionId) {
    holderOf.put(chunk, sessionId);
    bySession.computeIfAbsent(sessionId, s -> new ArrayDeque<>()).addLast(chunk);
  }

  /** The chunk went out (to its holder or another): no longer set aside. */
  void taken(int chunk) {
    String holder = holderOf.remove(chunk);
    if (holder != null) {
      Deque<Integer> chunks = bySession.get(holder);
      chunks.remove(chunk);
      if (chunks.isEmpty()) {
        bySession.remove(holder);
      }
    }
  }

  /** The session is gone: what it held is anyone's. */
  void release(String sessionId) {
    Deque<Integer> chunks = bySession.remove(sessionId);
    if (chunks != null) {
      chunks.forEach(holderOf::remove);
    }
  }
}

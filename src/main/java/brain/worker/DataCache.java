package brain.worker;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The data items a worker fetched (docs/PROTOCOL.md §4), by id, bounded in bytes and evicting the
 * least recently used. An id names its content (a digest of it, or the slice of a seed's matrix
 * it is), so an entry never goes stale: a second job on the same B, or a replay, finds it here and
 * fetches nothing. Confined to one thread.
 */
public final class DataCache {
  private final long capacityBytes;
  private final LinkedHashMap<String, float[]> items = new LinkedHashMap<>(64, 0.75f, true);
  private long bytes;
  private long hits;
  private long misses;

  public DataCache(long capacityBytes) {
    this.capacityBytes = capacityBytes;
  }

  /** The item, or null; a hit makes it the most recently used. */
  public float[] get(String id) {
    float[] values = items.get(id);
    if (values == null) {
      misses++;
    } else {
      hits++;
    }
    return values;
  }

  /** Keeps an item (one larger than the whole cache is not kept); evicts the least recently used beyond capacity. */
  public void put(String id, float[] values) {
    long size = (long) values.length * Float.BYTES;
    if (size > capacityBytes) {
      return;
    }
    float[] old = items.put(id, values);
    bytes += size - (old == null ? 0 : (long) old.length * Float.BYTES);
    for (Iterator<Map.Entry<String, float[]>> it = items.entrySet().iterator(); bytes > capacityBytes && it.hasNext(); ) {
      Map.Entry<String, float[]> eldest = it.next();
      if (!eldest.getKey().equals(id)) {
        bytes -= (long) eldest.getValue().length * Float.BYTES;
        it.remove();
      }
    }
  }

  public boolean contains(String id) {
    return items.containsKey(id);
  }

  /** Up to {@code max} ids, the most recently used first: what a registration reports as held. */
  public List<String> ids(int max) {
    List<String> all = new ArrayList<>(items.keySet());
    List<String> recent = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && recent.size() < max; i--) {
      recent.add(all.get(i));
    }
    return recent;
  }

  public long bytes() {
    return bytes;
  }

  public long hits() {
    return hits;
  }

  public long misses() {
    return misses;
  }

  public void clear() {
    items.clear();
    bytes = 0;
  }
}

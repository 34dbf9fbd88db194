// The data items this tab fetched (docs/PROTOCOL.md §4), by id, bounded in bytes, least recently
// used out first. An id names its content (a digest of it, or the slice of a seed's matrix it is):
// an entry never goes stale, so a second job on the same B (or a replay) finds it here and fetches
// nothing.

export class DataCache {
  constructor(capacityBytes) {
    this.capacityBytes = capacityBytes;
    this.items = new Map(); // insertion order = use order (a hit moves the entry to the end)
    this.bytes = 0;
  }

  get(id) {
    const values = this.items.get(id);
    if (values) {
      this.items.delete(id);
      this.items.set(id, values);
    }
    return values;
  }

  put(id, values) {
    if (values.byteLength > this.capacityBytes) return;
    const old = this.items.get(id);
    if (old) {
      this.bytes -= old.byteLength;
      this.items.delete(id);
    }
    this.items.set(id, values);
    this.bytes += values.byteLength;
    for (const [key, v] of this.items) {
      if (this.bytes <= this.capacityBytes) break;
      if (key === id) continue;
      this.items.delete(key);
      this.bytes -= v.byteLength;
    }
  }

  /** Up to `max` ids, the most recently used first. */
  ids(max) {
    return [...this.items.keys()].reverse().slice(0, max);
  }
}

// Interval timers that keep ticking in background tabs.
//
// Browsers throttle timers of hidden pages (Chromium's "intensive throttling"
// wakes a page that has been hidden for a while only once a minute), which
// would starve the bridge pings and heartbeats of a worker tab left in the
// background. Timers of a dedicated Worker are not throttled that way, so
// `createTimers()` runs the intervals in a tiny worker and relays the ticks.
// Falls back to the page's own timers if the worker cannot start.
//
// Returns {setInterval(fn, ms) -> id, clearInterval(id)}, the shape EventBus
// takes as its `timers` option.

export function createTimers() {
  let worker = null;
  try {
    worker = new Worker(new URL('./clock-worker.js', import.meta.url), { type: 'module', name: 'brain-clock' });
  } catch (e) {
    worker = null;
  }
  if (!worker) {
    return {
      setInterval: (fn, ms) => setInterval(fn, ms),
      clearInterval: (id) => clearInterval(id),
      background: false,
    };
  }
  const callbacks = new Map();
  let nextId = 1;
  worker.onmessage = (e) => {
    const fn = callbacks.get(e.data);
    if (fn) {
      try { fn(); } catch (err) { console.warn('timer callback threw', err); }
    }
  };
  worker.onerror = (e) => {
    // The clock could not start: move every interval onto page timers.
    e.preventDefault();
    worker = null;
    for (const entry of callbacks.values()) entry.fallback = setInterval(entry, entry.ms);
  };
  return {
    setInterval(fn, ms) {
      const id = nextId++;
      const entry = () => fn();
      entry.ms = ms;
      callbacks.set(id, entry);
      if (worker) worker.postMessage({ op: 'set', id, ms });
      else entry.fallback = setInterval(entry, ms);
      return id;
    },
    clearInterval(id) {
      const entry = callbacks.get(id);
      if (!entry) return;
      callbacks.delete(id);
      if (entry.fallback !== undefined) clearInterval(entry.fallback);
      if (worker) worker.postMessage({ op: 'clear', id });
    },
    background: true,
  };
}

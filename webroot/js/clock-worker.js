// Ticks for timers.js: {op:'set', id, ms} starts an interval that posts `id`
// every `ms`; {op:'clear', id} stops it. Only numbers travel.
const intervals = new Map();

self.onmessage = (e) => {
  const m = e.data;
  if (!m || typeof m !== 'object' || !Number.isInteger(m.id)) return;
  if (m.op === 'set' && Number.isFinite(m.ms) && m.ms > 0) {
    clearInterval(intervals.get(m.id));
    intervals.set(m.id, setInterval(() => self.postMessage(m.id), m.ms));
  } else if (m.op === 'clear') {
    clearInterval(intervals.get(m.id));
    intervals.delete(m.id);
  }
};

// The worker tab's settings, from its URL (see main.js for the parameters).

export const params = new URLSearchParams(location.search);
// The worker key of a private grid (worker.html?key=...), taken out of the address bar at once.
export const workerKey = (params.get('key') || '').slice(0, 200);
if (params.has('key')) {
  const clean = new URL(location.href);
  clean.searchParams.delete('key');
  history.replaceState(null, '', clean.pathname + clean.search + clean.hash);
}
export const requestedEngine = ['auto', 'webgpu', 'cpu', 'wasm', 'js'].includes(params.get('engine')) ? params.get('engine') : 'auto';
export const requestedThreads = (() => {
  const n = Number(params.get('threads'));
  return params.has('threads') && Number.isInteger(n) && n > 0 ? Math.min(64, n) : undefined;
})();
export const requestedSlots = (() => {
  const n = Number(params.get('slots'));
  return params.has('slots') && Number.isInteger(n) ? Math.min(8, Math.max(1, n)) : 2;
})();

// The budget declared for one chunk's A panel, B panel and C block (?memory=32m; for tests),
// else what the engine and the device allow (see declaredMemoryBytes).
export const requestedMemory = (() => {
  const m = /^(\d+)([kmg]?)$/i.exec(params.get('memory') || '');
  if (!m) return undefined;
  const bytes = Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 })[m[2].toLowerCase()];
  return Number.isSafeInteger(bytes) && bytes >= 1024 ? bytes : undefined;
})();

// How numbers, sizes and times read on the dashboard.

const nf0 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const nf1 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const nf2 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

export function count(n) {
  return isNum(n) ? nf0.format(n) : '–';
}

/** 0.4 ms, 12 ms, 1.25 s, 2 min 5 s, 3 h 4 min */
export function duration(ms) {
  if (!isNum(ms)) return '–';
  if (ms < 0) ms = 0;
  if (ms < 10) return nf1.format(ms) + ' ms';
  if (ms < 1000) return nf0.format(ms) + ' ms';
  if (ms < 10_000) return nf2.format(ms / 1000) + ' s';
  if (ms < 60_000) return nf1.format(ms / 1000) + ' s';
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = Math.round(s / 60);
  if (m < 48 * 60) return `${Math.floor(m / 60)} h ${m % 60} min`;
  return `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h`;
}

/** "just now", "12 s ago", "3 min ago" */
export function ago(ms) {
  if (!isNum(ms)) return '–';
  if (ms < 1500) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} d ago`;
}

export function sinceIso(iso, now = Date.now()) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '–' : ago(now - t);
}

export function megabytes(bytes) {
  if (!isNum(bytes)) return '–';
  const mb = bytes / 1e6;
  return (mb < 10 ? nf2.format(mb) : nf1.format(mb)) + ' MB';
}

export function percent(p) {
  return isNum(p) ? nf1.format(p) + ' %' : '–';
}

/** multiply-adds per ms → GFLOP/s (two floating-point operations per multiply-add) */
/** Verified work, in floating-point operations: "3.2 GFLOP", "1.5 TFLOP". */
export function gflop(g) {
  const v = Number(g) || 0;
  if (v >= 1000) return `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)} TFLOP`;
  return `${v >= 10 ? v.toFixed(0) : v.toFixed(v >= 1 ? 1 : 3)} GFLOP`;
}

export function gflops(opsPerMs) {
  if (!isNum(opsPerMs) || opsPerMs <= 0) return '–';
  const g = (2 * opsPerMs) / 1e6;
  return (g < 10 ? nf2.format(g) : nf1.format(g)) + ' GFLOP/s';
}

export function mops(m) {
  if (!isNum(m)) return '–';
  if (m >= 100) return nf2.format(m / 1000) + ' GFLOP/s';
  return nf1.format(m) + ' MFLOP/s';
}

export function scientific(x) {
  if (!isNum(x)) return '–';
  if (x === 0) return '0';
  return Math.abs(x) >= 0.01 && Math.abs(x) < 1000 ? nf2.format(x) : x.toExponential(1);
}

export function shortId(id) {
  return typeof id === 'string' ? id.slice(0, 8) : '–';
}

export function dims(job) {
  return job ? `${job.rowsA}×${job.colsA} · ${job.colsA}×${job.colsB}` : '–';
}

export function clockTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '–';
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return sameDay ? time : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}

/** Job duration from its view: the metrics' total, else start → end (or now). */
export function jobDurationMs(job, now = Date.now()) {
  if (!job) return NaN;
  const m = job.metrics;
  if (m && isNum(m.totalTimeMs) && m.totalTimeMs > 0 && job.completedAt) return m.totalTimeMs;
  const start = Date.parse(job.startedAt);
  if (Number.isNaN(start)) return NaN;
  const end = job.completedAt ? Date.parse(job.completedAt) : now;
  return end - start;
}

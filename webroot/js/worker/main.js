// The worker tab: joins the grid over the event bus (docs/PROTOCOL.md),
// hands chunks to the compute Web Worker, sends results back.
//
// URL parameters: ?engine=auto|webgpu|cpu|wasm|js (default auto; cpu takes
// the best CPU kernel, wasm and js force one), ?threads=N (CPU kernel
// threads, default one per logical core), ?slots=1..8 (default 2),
// ?name=<display name> (saved in localStorage).

import { EventBus } from '../eventbus.js';
import { createTimers } from '../timers.js';
import { base64urlLength } from '../codec.js';
import { DataCache } from './data-cache.js';
import {
  ADDR, PROTOCOL_VERSION, MAX_HOLDS, ADAPTER_MAX, cleanError, cleanName, messageType,
  validateB, validateCancel, validateChunk, validateRegisterReply, validateRelease, validateStats,
} from './protocol.js';
import { claimFreshWorkerId, claimWorkerId, loadName, saveName } from './identity.js';
import * as ui from './ui.js';
import { NodeList } from './nodes.js';

const REGISTER_TIMEOUT_MS = 10000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10000;
// What a result frame adds around its data (ids, times, JSON punctuation), generously.
const RESULT_OVERHEAD_BYTES = 1024;
// Fetched data items kept across jobs and sessions (protocol 2): bytes, least recently used out first.
const DATA_CACHE_BYTES = 256 * 1024 * 1024;

// ------------------------------------------------------------------ settings

const params = new URLSearchParams(location.search);
// The worker key of a private grid (worker.html?key=...), taken out of the address bar at once.
const workerKey = (params.get('key') || '').slice(0, 200);
if (params.has('key')) {
  const clean = new URL(location.href);
  clean.searchParams.delete('key');
  history.replaceState(null, '', clean.pathname + clean.search + clean.hash);
}
const requestedEngine = ['auto', 'webgpu', 'cpu', 'wasm', 'js'].includes(params.get('engine')) ? params.get('engine') : 'auto';
const requestedThreads = (() => {
  const n = Number(params.get('threads'));
  return params.has('threads') && Number.isInteger(n) && n > 0 ? Math.min(64, n) : undefined;
})();
const requestedSlots = (() => {
  const n = Number(params.get('slots'));
  return params.has('slots') && Number.isInteger(n) ? Math.min(8, Math.max(1, n)) : 2;
})();

// The budget declared for one chunk's A panel, B panel and C block (?memory=32m; for tests),
// else what the engine and the device allow (see declaredMemoryBytes).
const requestedMemory = (() => {
  const m = /^(\d+)([kmg]?)$/i.exec(params.get('memory') || '');
  if (!m) return undefined;
  const bytes = Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 })[m[2].toLowerCase()];
  return Number.isSafeInteger(bytes) && bytes >= 1024 ? bytes : undefined;
})();

// ------------------------------------------------------------------ state

const state = {
  workerId: null,
  name: null,
  engineInfo: null,       // from the compute worker: engine, adapter, label, note, opsPerMs, maxBufferBytes
  eb: null,
  session: null,          // validated register reply
  privateAddress: null,   // the address whose handler is registered
  gen: 0,                 // bumped whenever held work must be forgotten (new session, reconnect)
  jobs: new Map(),        // bKey(jobId, colStart) -> {rows, cols, received: Uint8Array|null, receivedRows, complete, error}
  panels: new Map(),      // jobId -> colStart of the B panel held (a 2-D-block job sends one column panel at a time)
  largestChunkBytes: 0,   // the most one chunk has needed here: A + B + C bytes
  held: new Map(),        // assignmentId -> {jobId, chunkIndex, rows, colsB, receivedAt}
  chunksDone: 0,
  computeMsTotal: 0,
  chunkOps: 0,            // multiply-adds of the chunks done (for the speed shown)
  heartbeatTimer: null,
  heartbeatPending: null, // token of the heartbeat request still out
  registerTimer: null,
  registerAttempt: 0,
  registering: false,
  connEpoch: 0,           // bumped on every socket open/close
};

let compute = null;
let timers = null;
let computeReady = null;  // resolves once the compute worker said 'ready'
const requests = new Map(); // id -> {resolve, reject} of bench / test-multiply requests
let nextRequestId = 1;

// ------------------------------------------------------------------ helpers

const nowEpoch = () => performance.timeOrigin + performance.now();

function note(text, level = 'info') {
  ui.log(text, level);
  if (level === 'warn' || level === 'error') console.warn('[worker]', text);
  else console.info('[worker]', text);
}

function backoff(attempt) {
  const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt, 20));
  return Math.round(base / 2 + Math.random() * base / 2);
}

function updateCounters() {
  ui.setText('chunks-done', state.chunksDone);
  ui.setText('in-flight', state.held.size);
  const avg = state.chunksDone ? state.computeMsTotal / state.chunksDone : NaN;
  ui.setText('avg-compute', Number.isNaN(avg) ? '–' : (avg < 10 ? avg.toFixed(1) : String(Math.round(avg))) + ' ms');
  ui.setText('jobs-held', state.jobs.size);
  if (state.engineInfo) {
    const chunkGflops = state.computeMsTotal > 0 ? (2 * state.chunkOps) / (state.computeMsTotal * 1e6) : undefined;
    ui.setSpeed({ measured: state.engineInfo.gflops, measuredN: state.engineInfo.measuredN, chunks: chunkGflops });
  }
}

/** The compute worker's name for the B a chunk needs: the job's id, with the panel's first column for a 2-D block. */
function bKey(jobId, colStart) {
  return colStart ? `${jobId}@${colStart}` : jobId;
}

/**
 * The budget for one chunk (A panel + B panel + C block): each of the three is one buffer of at
 * most maxBufferBytes, and all of them together at most a quarter of navigator.deviceMemory
 * (GiB, where the browser tells it); ?memory= overrides it (tests).
 */
function declaredMemoryBytes(info) {
  if (requestedMemory !== undefined) return requestedMemory;
  let bytes = Number.isSafeInteger(info.maxBufferBytes) && info.maxBufferBytes > 0 ? 3 * info.maxBufferBytes : undefined;
  const gib = Number(navigator.deviceMemory);
  if (Number.isFinite(gib) && gib > 0) bytes = Math.min(bytes === undefined ? Infinity : bytes, gib * 1024 ** 3 / 4);
  return bytes === undefined ? undefined : Math.floor(bytes);
}

function shortId(id) {
  return id.length > 12 ? id.slice(0, 10) + '…' : id;
}

// ------------------------------------------------------------------ compute worker

function startCompute() {
  compute = new Worker(new URL('./compute-worker.js', import.meta.url), { type: 'module', name: 'brain-compute' });
  compute.onmessageerror = () => note('a message from the compute worker could not be read', 'warn');
  return new Promise((resolve, reject) => {
    compute.onerror = (e) => {
      e.preventDefault();
      reject(new Error('compute worker failed to start: ' + (e.message || 'unknown error')));
    };
    compute.onmessage = (e) => {
      const m = e.data;
      if (m && m.op === 'ready') {
        compute.onmessage = onComputeMessage;
        compute.onerror = (err) => {
          err.preventDefault();
          note('compute worker error: ' + (err.message || 'unknown'), 'warn');
        };
        resolve(m);
      } else if (m && m.op === 'log') {
        note(m.text, m.level === 'warn' ? 'warn' : 'info');
      }
    };
    compute.postMessage({ op: 'init', engine: requestedEngine, threads: requestedThreads });
  });
}

function onComputeMessage(e) {
  const m = e.data;
  if (!m || typeof m.op !== 'string') return;
  switch (m.op) {
    case 'result': onComputeResult(m); break;
    case 'failure': onComputeFailure(m); break;
    case 'b-complete': break;
    case 'bench-result':
    case 'test-result': {
      const r = requests.get(m.id);
      if (!r) break;
      requests.delete(m.id);
      if (m.error) r.reject(new Error(m.error));
      else r.resolve(m);
      break;
    }
    case 'b-error': {
      if (m.gen !== state.gen) return;
      const job = state.jobs.get(m.jobId);
      if (job) job.error = m.error;
      note(`B of job ${shortId(m.jobId)} unusable: ${m.error}`, 'warn');
      break;
    }
    case 'engine':
      state.engineInfo = { ...state.engineInfo, ...m };
      ui.setEngine(state.engineInfo);
      note(m.note || `engine is now ${m.label}`, 'warn');
      break;
    case 'log':
      note(m.text, m.level === 'warn' ? 'warn' : 'info');
      break;
    default:
      break;
  }
}

function onComputeResult(m) {
  if (m.gen !== state.gen) return;
  const held = state.held.get(m.assignmentId);
  if (!held) return; // cancelled meanwhile
  state.held.delete(m.assignmentId);
  const session = state.session;
  if (!session || !state.eb || !state.eb.isOpen) {
    updateCounters();
    return;
  }
  if (held.upload) {
    if (!(m.c instanceof Float32Array) || m.c.length !== held.rows * held.colsB) {
      sendFailure(m.assignmentId, 'internal error: result of the wrong size');
      return;
    }
    uploadResult(held, m);
    countDone(held, m);
    return;
  }
  const expected = base64urlLength(held.rows * held.colsB * 4);
  if (typeof m.data !== 'string' || m.data.length !== expected) {
    sendFailure(m.assignmentId, 'internal error: result of the wrong size');
    return;
  }
  if (m.data.length + RESULT_OVERHEAD_BYTES > session.maxResultBytes) {
    sendFailure(m.assignmentId, `result (${m.data.length} characters) exceeds maxResultBytes (${session.maxResultBytes})`);
    updateCounters();
    return;
  }
  state.eb.send(ADDR.RESULT, {
    sessionId: session.sessionId,
    assignmentId: m.assignmentId,
    jobId: held.jobId,
    chunkIndex: held.chunkIndex,
    computeMs: m.computeMs,
    waitMs: m.waitMs,
    data: m.data,
  });
  countDone(held, m);
}

function countDone(held, m) {
  state.chunksDone++;
  state.largestChunkBytes = Math.max(state.largestChunkBytes,
    (held.rows * held.colsA + held.colsA * held.colsB + held.rows * held.colsB) * 4);
  document.body.dataset.largestChunkBytes = String(state.largestChunkBytes);
  state.computeMsTotal += m.computeMs;
  state.chunkOps += held.rows * held.colsA * held.colsB;
  updateCounters();
  ui.log(`chunk #${held.chunkIndex} of job ${shortId(held.jobId)} done in ${m.computeMs.toFixed(1)} ms` +
    ` (waited ${m.waitMs.toFixed(1)} ms)`, 'ok');
}

// ------------------------------------------------------------------ the data plane (protocol 2, PROTOCOL.md §4)

// What it holds counts against the memory it declares (?memory=).
const dataCache = new DataCache(Math.min(DATA_CACHE_BYTES, requestedMemory === undefined ? Infinity : requestedMemory));
const fetching = new Map(); // id -> Promise<Float32Array>: two chunks naming one B share one GET

/** A data URL on the node our socket is on (the page's own, or another's after a move). */
function dataUrl(path) {
  return nodes.current === nodes.home ? path : nodes.current + path;
}

/** A data item from the cache, or fetched once. */
function dataItem(item) {
  const held = dataCache.get(item.id);
  if (held) return Promise.resolve(held);
  let pending = fetching.get(item.id);
  if (pending) return pending;
  pending = fetch(dataUrl(item.url), { credentials: 'omit' }).then(async (r) => {
    if (!r.ok) throw new Error(`GET ${item.url.replace(/\?.*/, '')} answered ${r.status}`);
    const bytes = await r.arrayBuffer();
    if (bytes.byteLength !== item.rows * item.cols * 4) throw new Error(`item ${item.id} has ${bytes.byteLength} bytes`);
    const values = new Float32Array(bytes);
    dataCache.put(item.id, values);
    return values;
  }).finally(() => fetching.delete(item.id));
  fetching.set(item.id, pending);
  return pending;
}

async function onChunkV2(c, receivedAt) {
  const gen = state.gen;
  state.held.set(c.assignmentId, {
    jobId: c.jobId, chunkIndex: c.chunkIndex, rows: c.rows, colsA: c.colsA, colsB: c.colsB, receivedAt, upload: c.upload,
  });
  updateCounters();
  const hadB = !!dataCache.get(c.inputs.b.id);
  let a;
  let b;
  try {
    [a, b] = await Promise.all([dataItem(c.inputs.a), dataItem(c.inputs.b)]);
  } catch (e) {
    if (gen === state.gen && state.held.delete(c.assignmentId)) sendFailure(c.assignmentId, `could not fetch its inputs: ${e.message}`);
    return;
  }
  if (gen !== state.gen || !state.held.has(c.assignmentId)) return; // cancelled, or a new session meanwhile
  if (!hadB && state.session) register(); // tells the scheduler what the cache holds now (same session)
  // B to the compute worker once per job, or per column panel of a 2-D-block job (a copy: the cache keeps its own).
  const key = bKey(c.jobId, c.colStart);
  const heldPanel = state.panels.get(c.jobId);
  if (heldPanel !== undefined && heldPanel !== c.colStart) {
    state.jobs.delete(bKey(c.jobId, heldPanel)); // the panel held before: no chunk of it is in flight
    compute.postMessage({ op: 'release', jobId: bKey(c.jobId, heldPanel) });
  }
  state.panels.set(c.jobId, c.colStart);
  if (!state.jobs.has(key)) {
    state.jobs.set(key, { rows: c.colsA, cols: c.colsB, complete: true, error: null });
    compute.postMessage({ op: 'b', gen: state.gen, jobId: key, rows: c.colsA, cols: c.colsB, rowStart: 0,
      rowCount: c.colsA, values: b });
  }
  compute.postMessage({ op: 'chunk', gen: state.gen, assignmentId: c.assignmentId, jobId: key,
    chunkIndex: c.chunkIndex, rowStart: c.rowStart, rows: c.rows, colsA: c.colsA, colsB: c.colsB,
    aValues: a, leaseMs: c.leaseMs, receivedAt, raw: true });
  ui.log(`chunk #${c.chunkIndex} of job ${shortId(c.jobId)} received (${c.rows} rows × ${c.colsB} columns)`);
}

function uploadResult(held, m) {
  const url = dataUrl(`${held.upload}&computeMs=${m.computeMs}&waitMs=${m.waitMs}`);
  fetch(url, { method: 'PUT', credentials: 'omit', headers: { 'content-type': 'application/octet-stream' }, body: m.c })
    .then(async (r) => {
      if (r.status !== 204) note(`the server refused our upload for chunk ${held.chunkIndex}: ${r.status} ${(await r.text()).slice(0, 200)}`, 'warn');
    })
    .catch((e) => note(`could not upload chunk ${held.chunkIndex}: ${e.message}`, 'warn'));
}

function onComputeFailure(m) {
  if (m.gen !== state.gen) return;
  if (!state.held.delete(m.assignmentId)) return;
  sendFailure(m.assignmentId, m.error);
  updateCounters();
}

function sendFailure(assignmentId, error) {
  const text = cleanError(error);
  note(`chunk ${shortId(assignmentId)} failed: ${text}`, 'warn');
  if (state.session && state.eb && state.eb.isOpen) {
    state.eb.send(ADDR.FAILURE, { sessionId: state.session.sessionId, assignmentId, error: text });
  }
}

/** Forgets every job and chunk held (new session or lost socket). */
function dropEverything(why) {
  state.gen++;
  if (compute) compute.postMessage({ op: 'reset', gen: state.gen });
  const n = state.held.size;
  state.held.clear();
  state.jobs.clear();
  state.panels.clear();
  if (n) note(`dropped ${n} chunk${n === 1 ? '' : 's'} in hand (${why})`, 'warn');
  updateCounters();
}

// ------------------------------------------------------------------ messages on the private address

function onPrivateMessage(body) {
  const type = messageType(body);
  if (!type) {
    note('ignored a message without a type', 'warn');
    return;
  }
  switch (type) {
    case 'b': return onB(body);
    case 'chunk': return onChunk(body);
    case 'cancel': return onCancel(body);
    case 'release': return onRelease(body);
    case 'stats': return onStats(body);
    case 'refused': return onRefused(body);
    case 'move': return onMove(body);
    default:
      note(`ignored a message of unknown type "${String(type).slice(0, 40)}"`, 'warn');
  }
}

function maxBufferBytes() {
  return state.engineInfo.maxBufferBytes;
}

function onB(body) {
  const v = validateB(body, maxBufferBytes());
  if (!v.ok) {
    if (v.jobId !== undefined) {
      const job = state.jobs.get(v.jobId) || { rows: 0, cols: 0, received: null, receivedRows: 0, complete: false };
      job.error = v.error;
      state.jobs.set(v.jobId, job);
    }
    note(v.error, 'warn');
    return;
  }
  const b = v.value;
  const held = state.panels.get(b.jobId);
  if (held !== undefined && held !== b.colStart) {
    // Another column panel of B: it replaces the one held (no chunk of that one is in flight).
    state.jobs.delete(bKey(b.jobId, held));
    compute.postMessage({ op: 'release', jobId: bKey(b.jobId, held) });
  }
  state.panels.set(b.jobId, b.colStart);
  const key = bKey(b.jobId, b.colStart);
  let job = state.jobs.get(key);
  if (!job) {
    job = { rows: b.rows, cols: b.cols, received: new Uint8Array(b.rows), receivedRows: 0, complete: false, error: null };
    state.jobs.set(key, job);
  }
  if (job.error) return;
  if (job.rows !== b.rows || job.cols !== b.cols) {
    job.error = `B changed shape (${job.rows}×${job.cols}, then ${b.rows}×${b.cols})`;
    note(`job ${shortId(b.jobId)}: ${job.error}`, 'warn');
    return;
  }
  if (job.complete) {
    note(`job ${shortId(b.jobId)}: B part after B was complete, ignored`, 'warn');
    return;
  }
  for (let r = b.rowStart; r < b.rowStart + b.rowCount; r++) {
    if (!job.received[r]) { job.received[r] = 1; job.receivedRows++; }
  }
  compute.postMessage({ op: 'b', gen: state.gen, ...b, jobId: key });
  if (job.receivedRows === job.rows) {
    job.complete = true;
    job.received = null;
    note(`B of job ${shortId(b.jobId)} received (${b.rows}×${b.cols})`);
  }
  updateCounters();
}

function onChunk(body) {
  const receivedAt = nowEpoch();
  const v = validateChunk(body, maxBufferBytes());
  if (!v.ok) {
    if (v.assignmentId !== undefined) sendFailure(v.assignmentId, v.error);
    else note(v.error, 'warn');
    return;
  }
  const c = v.value;
  if (state.held.has(c.assignmentId)) {
    note(`chunk ${shortId(c.assignmentId)} received twice; the second copy is ignored`, 'warn');
    return;
  }
  if (c.inputs) {
    onChunkV2(c, receivedAt);
    return;
  }
  const key = bKey(c.jobId, c.colStart);
  const job = state.jobs.get(key);
  let problem = null;
  if (!job) problem = `unknown job ${c.jobId}`;
  else if (job.error) problem = `B of job ${c.jobId} unusable: ${job.error}`;
  else if (!job.complete) problem = `B of job ${c.jobId} incomplete (${job.receivedRows}/${job.rows} rows) before its chunk`;
  else if (job.rows !== c.colsA || job.cols !== c.colsB) {
    problem = `chunk is ${c.rows}×${c.colsA}·${c.colsA}×${c.colsB} but B of the job is ${job.rows}×${job.cols}`;
  }
  if (problem) {
    sendFailure(c.assignmentId, problem);
    return;
  }
  state.held.set(c.assignmentId, {
    jobId: c.jobId, chunkIndex: c.chunkIndex, rows: c.rows, colsA: c.colsA, colsB: c.colsB, receivedAt,
  });
  compute.postMessage({ op: 'chunk', gen: state.gen, ...c, jobId: key, receivedAt });
  ui.log(`chunk #${c.chunkIndex} of job ${shortId(c.jobId)} received (${c.rows} rows × ${c.colsB} columns)`);
  updateCounters();
}

function onCancel(body) {
  const v = validateCancel(body);
  if (!v.ok) {
    note(v.error, 'warn');
    return;
  }
  const dropped = v.value.assignmentIds.filter((id) => state.held.delete(id));
  if (v.value.assignmentIds.length) compute.postMessage({ op: 'cancel', assignmentIds: v.value.assignmentIds });
  if (dropped.length) ui.log(`${dropped.length} chunk${dropped.length === 1 ? '' : 's'} cancelled`);
  updateCounters();
}

function onRelease(body) {
  const v = validateRelease(body);
  if (!v.ok) {
    note(v.error, 'warn');
    return;
  }
  const { jobId } = v.value;
  const key = bKey(jobId, state.panels.get(jobId) || 0);
  state.panels.delete(jobId);
  state.jobs.delete(key);
  for (const [id, h] of state.held) if (h.jobId === jobId) state.held.delete(id);
  compute.postMessage({ op: 'release', jobId: key });
  ui.log(`job ${shortId(jobId)} released`);
  updateCounters();
}

/** The server refused one of our results (it failed the check, or a field was malformed): no credit. */
function onRefused(body) {
  const reason = typeof body.reason === 'string' ? body.reason.slice(0, 300) : 'no reason given';
  const chunk = Number.isInteger(body.chunkIndex) ? body.chunkIndex : '?';
  note(`the server refused our result for chunk ${chunk}: ${reason}`, 'warn');
}

function onStats(body) {
  const v = validateStats(body);
  if (!v.ok) {
    note(v.error, 'warn');
    return;
  }
  ui.setStanding(v.value);
}

// ------------------------------------------------------------------ session

function registerBody() {
  const info = state.engineInfo;
  const body = {
    protocol: PROTOCOL_VERSION,
    workerId: state.workerId,
    name: state.name,
    engine: info.engine,
    adapter: String(info.adapter).slice(0, ADAPTER_MAX),
    slots: requestedSlots,
  };
  if (Number.isFinite(info.opsPerMs) && info.opsPerMs > 0) body.opsPerMs = info.opsPerMs;
  if (Number.isSafeInteger(info.maxBufferBytes) && info.maxBufferBytes > 0) body.maxBufferBytes = info.maxBufferBytes;
  const memory = declaredMemoryBytes(info);
  if (Number.isSafeInteger(memory) && memory >= 1024) {
    body.memoryBytes = memory;
    document.body.dataset.memoryBytes = String(memory);
  }
  if (workerKey) body.key = workerKey;
  body.holds = dataCache.ids(MAX_HOLDS);
  return body;
}

function scheduleRegister(delayMs) {
  clearTimeout(state.registerTimer);
  state.registerTimer = setTimeout(() => {
    state.registerTimer = null;
    register();
  }, delayMs);
}

async function register() {
  const eb = state.eb;
  if (!eb || !eb.isOpen || state.registering) return;
  const epoch = state.connEpoch;
  state.registering = true;
  const body = registerBody();
  let reply;
  try {
    reply = await eb.request(ADDR.REGISTER, body, { timeoutMs: REGISTER_TIMEOUT_MS });
  } catch (e) {
    state.registering = false;
    if (epoch !== state.connEpoch) return;
    const code = e.failureCode ? ` (${e.failureCode})` : '';
    note(`register refused${code}: ${e.message}`, 'warn');
    if (e.failureCode === 409) {
      // The server already has this worker id on another live session (another tab?).
      state.workerId = await claimFreshWorkerId();
      ui.setIdentity(state.workerId, state.name);
      note(`using a fresh worker id ${state.workerId}`, 'warn');
    }
    const delay = backoff(state.registerAttempt++);
    scheduleRegister(delay);
    return;
  }
  state.registering = false;
  if (epoch !== state.connEpoch) return;
  const v = validateRegisterReply(reply, requestedSlots);
  if (!v.ok) {
    note(v.error, 'warn');
    scheduleRegister(backoff(state.registerAttempt++));
    return;
  }
  state.registerAttempt = 0;
  learnNodes(reply);
  adoptSession(v.value);
  // The name was edited while this registration was out: send it again.
  if (state.name !== body.name) register();
}

function adoptSession(s) {
  const previous = state.session;
  if (previous && previous.sessionId === s.sessionId) {
    const restart = previous.heartbeatIntervalMs !== s.heartbeatIntervalMs;
    Object.assign(previous, s);
    if (restart) startHeartbeat();
    note('registration updated');
    return;
  }
  if (previous) dropEverything('new session');
  state.session = s;
  // Re-register the handler: a fresh register frame tells the server the
  // session's handler is live (the bridge refuses a second register of an
  // address the socket already holds, hence the unregister first).
  if (state.privateAddress) state.eb.unregister(state.privateAddress);
  state.privateAddress = s.address;
  state.eb.register(s.address, onPrivateMessage);
  ui.setText('slots', s.slots === requestedSlots ? String(s.slots) : `${s.slots} (asked ${requestedSlots})`);
  ui.setText('session-id', s.sessionId);
  startHeartbeat();
  // The bridge handles a socket's frames in order, so once this heartbeat is
  // answered the register frame above has been processed too.
  heartbeat(true);
}

function startHeartbeat() {
  stopHeartbeat();
  state.heartbeatTimer = timers.setInterval(() => heartbeat(false), state.session.heartbeatIntervalMs);
}

function stopHeartbeat() {
  if (state.heartbeatTimer !== null) timers.clearInterval(state.heartbeatTimer);
  state.heartbeatTimer = null;
}

async function heartbeat(first) {
  const session = state.session;
  const eb = state.eb;
  if (!session || !eb || !eb.isOpen) return;
  if (state.heartbeatPending && !first) return; // the previous one is still out
  const token = {};
  state.heartbeatPending = token;
  try {
    await eb.request(ADDR.HEARTBEAT, { sessionId: session.sessionId, busy: state.held.size },
      { timeoutMs: Math.max(1000, session.heartbeatTimeoutMs) });
    if (first && state.session === session) markRegistered();
  } catch (e) {
    if (state.session !== session) return;
    if (e.failureCode === 404) {
      note('the server no longer knows this session; registering again', 'warn');
      sessionLost();
    } else if (first) {
      // Registered all the same; the next heartbeat will tell.
      markRegistered();
      note('heartbeat: ' + e.message, 'warn');
    } else if (eb.isOpen) {
      note('heartbeat: ' + e.message, 'warn');
    }
  } finally {
    if (state.heartbeatPending === token) state.heartbeatPending = null;
  }
}

function markRegistered() {
  ui.setConnection('connected');
  ui.setReady(true);
  note(`registered as ${state.name} (${state.engineInfo.engine}, ${state.session.slots} slot${state.session.slots === 1 ? '' : 's'})`, 'ok');
}

function sessionLost() {
  stopHeartbeat();
  state.session = null;
  state.heartbeatPending = null;
  ui.setReady(false);
  ui.setConnection('connecting');
  dropEverything('session lost');
  register();
}

// A new scheduler was elected (failover): register again on this socket, with
// the same identity; its new session replaces the old one (adoptSession).
function onSchedulerAnnounce() {
  if (state.eb && state.eb.isOpen && state.session) register();
}

function onOpen() {
  state.connEpoch++;
  state.registerAttempt = 0;
  ui.setConnection('connecting');
  note('connected to the bridge');
  register();
}

function onClose(detail) {
  state.connEpoch++;
  const wasRegistered = !!state.session;
  stopHeartbeat();
  clearTimeout(state.registerTimer);
  state.registering = false;
  state.heartbeatPending = null;
  state.session = null;
  if (state.privateAddress) {
    state.eb.unregister(state.privateAddress); // local only: the socket is gone
    state.privateAddress = null;
  }
  ui.setReady(false);
  dropEverything('connection lost');
  const retry = detail && detail.reconnectInMs != null ? `retrying in ${(detail.reconnectInMs / 1000).toFixed(1)} s` : '';
  ui.setConnection('disconnected', retry);
  if (wasRegistered || (detail && detail.wasOpen)) note('connection lost' + (retry ? '; ' + retry : ''), 'warn');
  ui.setText('session-id', '–');
  followNodes();
}

// ------------------------------------------------------------------ cluster nodes (see nodes.js)

const nodes = new NodeList(location.origin);
let moving = false;

function learnNodes(reply) {
  nodes.learn(reply && reply.nodes);
}

/** After a close: the reconnect goes to the node a stopping one named, else to the next node in turn. */
function followNodes() {
  if (!moving) nodes.next();
  moving = false;
  state.eb.url = nodes.busUrl();
}

/** {type: "move", nodes}: our node is stopping; leave it now for another. */
function onMove(body) {
  const to = nodes.moveTo(body.nodes);
  note(`this node is stopping; moving to ${to}`, 'warn');
  moving = true;
  state.eb.drop();
}

function onNameEdited(value) {
  const clean = cleanName(value);
  if (!clean || clean === state.name) {
    ui.setNameValue(state.name);
    return;
  }
  state.name = saveName(clean);
  ui.setNameValue(state.name);
  note(`name set to ${state.name}`);
  // Registering again on the same socket answers the same session, with the new name
  // (if a registration is already out, register() sends it again when that one is answered).
  if (state.session) register();
}

// ------------------------------------------------------------------ start

async function main() {
  ui.setConnection('connecting');
  ui.setReady(false);
  state.workerId = await claimWorkerId();
  const nameParam = params.get('name');
  state.name = nameParam && cleanName(nameParam) ? saveName(nameParam) : loadName(state.workerId);
  ui.setIdentity(state.workerId, state.name);
  ui.onNameChange(onNameEdited);
  ui.setText('slots', String(requestedSlots));
  updateCounters();

  try {
    computeReady = startCompute();
    state.engineInfo = await computeReady;
  } catch (e) {
    ui.setConnection('disconnected', 'compute worker failed');
    note(e.message, 'error');
    return;
  }
  ui.setEngine(state.engineInfo);
  updateCounters();
  note(`engine: ${state.engineInfo.label}` +
    (state.engineInfo.gflops ? ` (${state.engineInfo.gflops} GFLOP/s measured at ${state.engineInfo.measuredN}³)` : ''));

  timers = createTimers();
  state.eb = new EventBus('/eventbus', {
    pingIntervalMs: 5000,
    reconnect: true,
    reconnectMinMs: RETRY_MIN_MS,
    reconnectMaxMs: RETRY_MAX_MS,
    timers,
  });
  state.eb.onopen = onOpen;
  state.eb.onclose = onClose;
  state.eb.register(ADDR.ANNOUNCE, onSchedulerAnnounce);
  state.eb.onerror = (frame) => note(`bridge: ${typeof frame.body === 'string' ? frame.body : 'error'}`, 'warn');

  // Leave cleanly so the server can re-queue our chunks at once.
  window.addEventListener('pagehide', () => state.eb && state.eb.close());
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) location.reload();
  });
}

// Exposed for tests and the curious: read-only views, plus a way to drop the socket.
globalThis.brainWorker = {
  get state() {
    return {
      workerId: state.workerId, name: state.name, engine: state.engineInfo, session: state.session,
      chunksDone: state.chunksDone, held: state.held.size, jobs: state.jobs.size,
    };
  },
  dropConnection: () => state.eb && state.eb.drop(),
  loseDevice: () => compute && compute.postMessage({ op: 'lose-device' }),
  /**
   * Times an n×n·n×n float32 product on one engine of this tab, inputs random, B shared with
   * the engine once before (as for a job), one warm-up run, then the best of `runs`.
   * engine: 'wasm' | 'js' (CPU kernels, on `threads` kernel threads, default all) | 'webgpu' |
   * 'current' (what the tab computes with). Resolves to {engine, adapter, n, threads, ms,
   * medianMs, runsMs, gflops}; rejects where that engine is unavailable.
   */
  benchmark: ({ n = 1024, engine = 'current', threads, runs = 3 } = {}) =>
    computeRequest({ op: 'bench', n, engine, threads, runs }).then(({ op, id, ...result }) => result),
  /**
   * Test hook: C = A·B (row-major number arrays, m×k and k×n) on engine 'wasm' | 'js' | 'webgpu';
   * resolves to C as an array. options.gpuLimits sizes WebGPU's tiles as if the adapter had
   * those lower limits (e.g. {maxComputeInvocationsPerWorkgroup: 64}).
   */
  multiplyForTest: (engine, a, b, m, k, n, options = {}) =>
    computeRequest({
      op: 'test-multiply', engine, a: Float32Array.from(a), b: Float32Array.from(b), m, k, n, gpuLimits: options.gpuLimits,
    }).then((r) => Array.from(r.c)),
};

async function computeRequest(msg) {
  if (!computeReady) throw new Error('the compute worker has not started');
  await computeReady;
  const id = nextRequestId++;
  return new Promise((resolve, reject) => {
    requests.set(id, { resolve, reject });
    const transfer = [msg.a, msg.b].filter((x) => x instanceof Float32Array).map((x) => x.buffer);
    compute.postMessage({ ...msg, id }, transfer);
  });
}

main();

// What the worker tab knows, shared by its modules, and small helpers over it.

import * as ui from './ui.js';
import { NodeList } from './nodes.js';

export const state = {
  workerId: null,
  name: null,
  engineInfo: null,       // from the compute worker: engine, adapter, label, note, opsPerMs, maxBufferBytes
  eb: null,
  timers: null,           // the page's timers (timers.js), for heartbeats
  session: null,          // validated register reply
  privateAddress: null,   // the address whose handler is registered
  gen: 0,                 // bumped whenever held work must be forgotten (new session, reconnect)
  jobs: new Map(),        // bKey(jobId, colStart) -> {rows, cols, received: Uint8Array|null, receivedRows, complete, error}
  panels: new Map(),      // jobId -> colStart of the B panel held (a 2-D-block job sends one column panel at a time)
  fetchedAhead: 0,        // data items fetched because a chunk message named them in prefetch
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

// The cluster's nodes the tab can join (see nodes.js).
export const nodes = new NodeList(location.origin);

export const nowEpoch = () => performance.timeOrigin + performance.now();

export function note(text, level = 'info') {
  ui.log(text, level);
  if (level === 'warn' || level === 'error') console.warn('[worker]', text);
  else console.info('[worker]', text);
}

export function updateCounters() {
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

export /** The compute worker's name for the B a chunk needs: the job's id, with the panel's first column for a 2-D block. */
function bKey(jobId, colStart) {
  return colStart ? `${jobId}@${colStart}` : jobId;
}

export function shortId(id) {
  return id.length > 12 ? id.slice(0, 10) + '…' : id;
}

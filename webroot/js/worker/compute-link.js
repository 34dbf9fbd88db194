// The compute Web Worker (compute-worker.js): started once, fed chunks and B, and asked for
// benchmarks and test products.

import { requestedEngine, requestedThreads } from './settings.js';
import { state, note, shortId } from './tab-state.js';
import * as ui from './ui.js';

// What to do with the compute worker's results and failures: set by chunks.js, which reads them
// (it posts the chunks), so that this module need not import it back.
let answers = { result() {}, failure() {} };

/** Sets who handles the compute worker's results and failures. */
export function onComputeAnswers(result, failure) {
  answers = { result, failure };
}

let compute = null;
let computeReady = null;  // resolves once the compute worker said 'ready'
const requests = new Map(); // id -> {resolve, reject} of bench / test-multiply requests
let nextRequestId = 1;

/** Posts to the compute worker, if it has started. */
export function post(msg, transfer) {
  if (compute) compute.postMessage(msg, transfer);
}

export function startCompute() {
  compute = new Worker(new URL('./compute-worker.js', import.meta.url), { type: 'module', name: 'brain-compute' });
  compute.onmessageerror = () => note('a message from the compute worker could not be read', 'warn');
  computeReady = new Promise((resolve, reject) => {
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
  return computeReady;
}

function onComputeMessage(e) {
  const m = e.data;
  if (!m || typeof m.op !== 'string') return;
  switch (m.op) {
    case 'result': answers.result(m); break;
    case 'failure': answers.failure(m); break;
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

export async function computeRequest(msg) {
  if (!computeReady) throw new Error('the compute worker has not started');
  await computeReady;
  const id = nextRequestId++;
  return new Promise((resolve, reject) => {
    requests.set(id, { resolve, reject });
    const transfer = [msg.a, msg.b].filter((x) => x instanceof Float32Array).map((x) => x.buffer);
    compute.postMessage({ ...msg, id }, transfer);
  });
}

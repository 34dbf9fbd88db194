// The worker tab: joins the grid over the event bus (docs/PROTOCOL.md),
// hands chunks to the compute Web Worker, sends results back. The entry module:
// settings.js (URL), tab-state.js (shared state), session.js (registration,
// heartbeats, nodes), chunks.js (chunks and B), data-plane.js (protocol 2 HTTP),
// compute-link.js (the compute Web Worker), ui.js (the page).
//
// URL parameters: ?engine=auto|webgpu|cpu|wasm|js (default auto; cpu takes
// the best CPU kernel, wasm and js force one), ?threads=N (CPU kernel
// threads, default one per logical core), ?slots=1..8 (default 2),
// ?name=<display name> (saved in localStorage).

import { params, requestedSlots } from './settings.js';
import { cleanName } from './protocol.js';
import { claimWorkerId, loadName, saveName } from './identity.js';
import * as ui from './ui.js';
import { state, note, updateCounters } from './tab-state.js';
import { computeRequest, post, startCompute } from './compute-link.js';
import { connect, onNameEdited } from './session.js';

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
    state.engineInfo = await startCompute();
  } catch (e) {
    ui.setConnection('disconnected', 'compute worker failed');
    note(e.message, 'error');
    return;
  }
  ui.setEngine(state.engineInfo);
  updateCounters();
  note(`engine: ${state.engineInfo.label}` +
    (state.engineInfo.gflops ? ` (${state.engineInfo.gflops} GFLOP/s measured at ${state.engineInfo.measuredN}³)` : ''));

  connect();

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
  loseDevice: () => post({ op: 'lose-device' }),
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

main();

// The compute side of a worker tab, run as a module Web Worker so the page's
// main thread keeps heartbeating while a chunk is being multiplied.
//
// It holds B per job (and its GPU buffer, uploaded once per job), computes
// chunks one at a time in arrival order, and frees B on release. Only data
// arrives here: numbers, ids and float32 payloads.
//
// The CPU engine runs in kernel threads of its own (cpu-pool.js: one per
// logical core, WebAssembly SIMD or JavaScript); this worker feeds them.
// The engine is chosen and calibrated in engine-choice.js; the page's and the
// tests' probes (bench, test-multiply) are in engine-probes.js.
//
// Page -> worker (all carry `op`):
//   {op:'init', engine:'auto'|'webgpu'|'cpu'|'wasm'|'js', threads?}  -> {op:'ready', ...}
//   {op:'b', gen, jobId, rows, cols, rowStart, rowCount, data|values}
//   {op:'chunk', gen, assignmentId, jobId, chunkIndex, rows, colsA, colsB,
//        a|aValues, receivedAt, leaseMs?, raw?}                    -> result | failure
//   {op:'cancel', assignmentIds}   {op:'release', jobId}   {op:'reset', gen}
//   {op:'lose-device'}  (test hook)
//   {op:'bench', id, n, engine:'wasm'|'js'|'webgpu'|'current', threads?, runs?}  -> {op:'bench-result', id, ...}
//   {op:'test-multiply', id, engine:'wasm'|'js'|'webgpu', a, b, m, k, n, gpuLimits?} -> {op:'test-result', id, c | error}
//        (gpuLimits: size the WebGPU tiles as if the adapter had these lower limits)
// Worker -> page:
//   {op:'ready', engine, kernel, adapter, label, note, opsPerMs, gflops, maxBufferBytes, calibration, gpuLimits?}
//   {op:'result', gen, assignmentId, jobId, chunkIndex, computeMs, waitMs, data (base64url) | c (Float32Array, raw)}
//   {op:'failure', gen, assignmentId, jobId, error}
//   {op:'b-error', gen, jobId, error}   {op:'b-complete', gen, jobId}
//   {op:'engine', engine, adapter, label, note, maxBufferBytes}   (engine changed after a GPU loss)
//   {op:'log', level, text}
//
// `data`/`a` are base64url strings (decoded here, off the main thread);
// `values`/`aValues` are Float32Arrays, whose buffers the sender should transfer.
// `c` comes back transferred too. `receivedAt` is an epoch time in ms
// (performance.timeOrigin + performance.now()) comparable across threads.

import { decodeFloat32, decodeFloat32Into, encodeFloat32, firstNonFinite } from '../codec.js';
import { multiplyCpu } from './cpu-engine.js';
import { checkGpuAfterFailure, inUse, fallBackToCpu, init } from './engine-choice.js';
import { bench, testMultiply } from './engine-probes.js';
import { errText, log, now, post, round3 } from './compute-context.js';

let gen = 0;
const jobs = new Map();
const queue = [];
let current = null;
let pumping = false;

// A macrotask boundary, so cancel/release messages get in between two chunks
// even when the CPU engine never awaits.
const channel = new MessageChannel();
const yieldQueue = [];
channel.port1.onmessage = () => { const r = yieldQueue.shift(); if (r) r(); };
function yieldToEvents() {
  return new Promise((resolve) => { yieldQueue.push(resolve); channel.port2.postMessage(0); });
}

// ------------------------------------------------------------------ jobs and chunks

function freeJob(job) {
  if (inUse.gpu) inUse.gpu.freeB(job);
  if (inUse.pool) inUse.pool.free(job.jobId);
  job.b = null;
}

/** The CPU engine's product of a chunk (B shared with the kernel threads on first use). */
function multiplyOnCpu(a, M, K, N, job) {
  if (!inUse.pool || inUse.pool.broken) return multiplyCpu(a, job.b, M, K, N);
  if (!inUse.pool.hasB(job.jobId)) inUse.pool.shareB(job.jobId, job.b, K, N);
  return inUse.pool.multiply(a, M, K, N, job.jobId);
}

function releaseJob(jobId) {
  const job = jobs.get(jobId);
  if (!job) return;
  jobs.delete(jobId);
  job.released = true;
  for (const t of queue) if (t.job === job) t.cancelled = true;
  if (job.busy === 0) freeJob(job);
}

function onB(m) {
  if (m.gen !== gen) return;
  let job = jobs.get(m.jobId);
  try {
    if (!job) {
      job = {
        jobId: m.jobId, rows: m.rows, cols: m.cols,
        b: new Float32Array(m.rows * m.cols),
        filled: new Uint8Array(m.rows), filledRows: 0,
        complete: false, error: null, busy: 0, released: false,
        gpuBuffer: null, gpuEpoch: -1, gpuUploading: null,
      };
      jobs.set(m.jobId, job);
    }
    if (job.error) return;
    if (job.rows !== m.rows || job.cols !== m.cols) {
      throw new Error(`B of job ${m.jobId} changed shape (${job.rows}×${job.cols} then ${m.rows}×${m.cols})`);
    }
    if (!Number.isInteger(m.rowStart) || !Number.isInteger(m.rowCount) || m.rowStart < 0 || m.rowCount < 1 ||
        m.rowStart + m.rowCount > job.rows) {
      throw new Error('B part outside B');
    }
    const offset = m.rowStart * job.cols;
    const count = m.rowCount * job.cols;
    if (m.values instanceof Float32Array) {
      if (m.values.length !== count) throw new Error('B part has the wrong length');
      job.b.set(m.values, offset);
    } else {
      decodeFloat32Into(m.data, job.b, offset, count);
    }
    for (let r = m.rowStart; r < m.rowStart + m.rowCount; r++) {
      if (!job.filled[r]) { job.filled[r] = 1; job.filledRows++; }
    }
    if (!job.complete && job.filledRows === job.rows) {
      job.complete = true;
      job.filled = null;
      post({ op: 'b-complete', gen, jobId: job.jobId });
      if (inUse.engine === 'webgpu' && inUse.gpu) {
        inUse.gpu.uploadB(job).catch((e) => log('warn', `B of job ${job.jobId} not uploaded yet: ${errText(e)}`));
      } else if (inUse.pool && !inUse.pool.broken) {
        inUse.pool.shareB(job.jobId, job.b, job.rows, job.cols);
      }
    }
  } catch (e) {
    const error = errText(e);
    if (job) {
      job.error = error;
      if (job.b) freeJob(job);
    }
    post({ op: 'b-error', gen, jobId: m.jobId, error });
  }
}

function failChunk(m, error) {
  post({ op: 'failure', gen: m.gen, assignmentId: m.assignmentId, jobId: m.jobId, error });
}

function onChunk(m) {
  if (m.gen !== gen) return;
  const job = jobs.get(m.jobId);
  if (!job) return failChunk(m, `unknown job ${m.jobId}`);
  if (job.error) return failChunk(m, `B of job ${m.jobId} unusable: ${job.error}`);
  if (!job.complete) return failChunk(m, `B of job ${m.jobId} incomplete (${job.filledRows}/${job.rows} rows)`);
  if (job.rows !== m.colsA || job.cols !== m.colsB) {
    return failChunk(m, `chunk is ${m.rows}×${m.colsA}·${m.colsA}×${m.colsB} but B is ${job.rows}×${job.cols}`);
  }
  let a;
  try {
    if (m.aValues instanceof Float32Array) {
      if (m.aValues.length !== m.rows * m.colsA) throw new Error('a has the wrong length');
      a = m.aValues;
    } else {
      a = decodeFloat32(m.a, m.rows * m.colsA);
    }
  } catch (e) {
    return failChunk(m, errText(e));
  }
  job.busy++;
  queue.push({
    gen: m.gen, assignmentId: m.assignmentId, jobId: m.jobId, chunkIndex: m.chunkIndex,
    rows: m.rows, colsA: m.colsA, colsB: m.colsB, a, job,
    receivedAt: Number.isFinite(m.receivedAt) ? m.receivedAt : now(),
    leaseMs: m.leaseMs, raw: !!m.raw, cancelled: false,
  });
  pump();
}

async function compute(task) {
  const startedAt = now();
  const waitMs = Math.max(0, startedAt - task.receivedAt);
  if (task.leaseMs && waitMs > task.leaseMs) {
    log('warn', `lease of chunk #${task.chunkIndex} (job ${task.jobId}) ran out before it started; skipped`);
    failChunk(task, 'lease expired before the chunk could start');
    return;
  }
  const t0 = performance.now();
  let c;
  try {
    c = inUse.engine === 'webgpu'
      ? await inUse.gpu.multiply(task.a, task.rows, task.colsA, task.colsB, task.job)
      : await multiplyOnCpu(task.a, task.rows, task.colsA, task.colsB, task.job);
  } catch (e) {
    if (!task.cancelled && task.gen === gen) failChunk(task, errText(e));
    await checkGpuAfterFailure();
    return;
  }
  const computeMs = performance.now() - t0;
  task.a = null;
  if (task.cancelled || task.gen !== gen) return;
  const bad = firstNonFinite(c);
  if (bad >= 0) {
    failChunk(task, `result has a non-finite value at index ${bad} (${c[bad]})`);
    return;
  }
  const msg = {
    op: 'result', gen: task.gen, assignmentId: task.assignmentId, jobId: task.jobId,
    chunkIndex: task.chunkIndex, computeMs: round3(computeMs), waitMs: round3(waitMs), engine: inUse.engine,
  };
  if (task.raw) {
    msg.c = c;
    post(msg, [c.buffer]);
  } else {
    msg.data = encodeFloat32(c);
    post(msg);
  }
}

async function pump() {
  if (pumping) return;
  pumping = true;
  try {
    while (queue.length) {
      const task = queue.shift();
      if (task.cancelled || task.gen !== gen) {
        doneWith(task);
        continue;
      }
      current = task;
      try {
        await compute(task);
      } catch (e) {
        if (task.gen === gen && !task.cancelled) failChunk(task, errText(e));
      } finally {
        current = null;
        doneWith(task);
      }
      await yieldToEvents();
    }
  } finally {
    pumping = false;
  }
}

function doneWith(task) {
  const job = task.job;
  job.busy--;
  if (job.released && job.busy === 0 && job.b) freeJob(job);
}

function onCancel(ids) {
  const set = new Set(ids);
  for (const t of queue) if (set.has(t.assignmentId)) t.cancelled = true;
  if (current && set.has(current.assignmentId)) current.cancelled = true;
}

function onReset(newGen) {
  gen = newGen;
  for (const t of queue) t.cancelled = true;
  if (current) current.cancelled = true;
  for (const jobId of [...jobs.keys()]) releaseJob(jobId);
}

// ------------------------------------------------------------------ dispatch

let initDone = null;
const ENGINES = ['auto', 'webgpu', 'cpu', 'wasm', 'js'];
const MAX_THREADS = 64;

function threadCount(asked) {
  const cores = (navigator.hardwareConcurrency | 0) || 1;
  const n = Number.isInteger(asked) && asked > 0 ? Math.min(asked, cores) : cores;
  return Math.max(1, Math.min(MAX_THREADS, n));
}

/** Answers a request-like op ({id}) with {op: replyOp, id, ...result} or {op: replyOp, id, error}. */
function answer(m, replyOp, fn) {
  (async () => {
    if (initDone) await initDone;
    return fn();
  })().then((result) => {
    const transfer = result && result.c instanceof Float32Array ? [result.c.buffer] : [];
    post({ op: replyOp, id: m.id, ...result }, transfer);
  }, (e) => post({ op: replyOp, id: m.id, error: errText(e) }));
}

self.onmessage = (e) => {
  const m = e.data;
  if (!m || typeof m !== 'object' || typeof m.op !== 'string') return;
  try {
    switch (m.op) {
      case 'init':
        if (!initDone) {
          initDone = init(ENGINES.includes(m.engine) ? m.engine : 'auto', threadCount(m.threads)).catch(fallBackToCpu);
        }
        break;
      case 'b': onB(m); break;
      case 'chunk': onChunk(m); break;
      case 'cancel': if (Array.isArray(m.assignmentIds)) onCancel(m.assignmentIds); break;
      case 'release': releaseJob(m.jobId); break;
      case 'reset': if (Number.isInteger(m.gen)) onReset(m.gen); break;
      case 'lose-device': if (inUse.gpu) inUse.gpu.simulateLoss(); break;
      case 'bench': answer(m, 'bench-result', () => bench(m)); break;
      case 'test-multiply': answer(m, 'test-result', () => testMultiply(m)); break;
      default: log('warn', `compute worker: unknown op ${m.op}`);
    }
  } catch (err) {
    log('warn', `compute worker: ${m.op} failed: ${errText(err)}`);
  }
};

// The compute side of a worker tab, run as a module Web Worker so the page's
// main thread keeps heartbeating while a chunk is being multiplied.
//
// It holds B per job (and its GPU buffer, uploaded once per job), computes
// chunks one at a time in arrival order, and frees B on release. Only data
// arrives here: numbers, ids and float32 payloads.
//
// Page -> worker (all carry `op`):
//   {op:'init', engine:'auto'|'webgpu'|'cpu'}                      -> {op:'ready', ...}
//   {op:'b', gen, jobId, rows, cols, rowStart, rowCount, data|values}
//   {op:'chunk', gen, assignmentId, jobId, chunkIndex, rows, colsA, colsB,
//        a|aValues, receivedAt, leaseMs?, raw?}                    -> result | failure
//   {op:'cancel', assignmentIds}   {op:'release', jobId}   {op:'reset', gen}
//   {op:'lose-device'}  (test hook)
// Worker -> page:
//   {op:'ready', engine, adapter, label, note, opsPerMs, maxBufferBytes, calibration}
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
import { multiplyCpu, cpuDescription, CPU_MAX_BUFFER_BYTES } from './cpu-engine.js';
import { GpuEngine } from './gpu-engine.js';

let gen = 0;
let engine = 'cpu';
let gpu = null;
let maxBufferBytes = CPU_MAX_BUFFER_BYTES;
const jobs = new Map();
const queue = [];
let current = null;
let pumping = false;

const now = () => performance.timeOrigin + performance.now();
const round3 = (x) => Math.round(x * 1000) / 1000;

function post(msg, transfer) {
  self.postMessage(msg, transfer || []);
}

function log(level, text) {
  post({ op: 'log', level, text: String(text) });
}

function errText(e) {
  return (e && e.message) ? e.message : String(e);
}

// A macrotask boundary, so cancel/release messages get in between two chunks
// even when the CPU engine never awaits.
const channel = new MessageChannel();
const yieldQueue = [];
channel.port1.onmessage = () => { const r = yieldQueue.shift(); if (r) r(); };
function yieldToEvents() {
  return new Promise((resolve) => { yieldQueue.push(resolve); channel.port2.postMessage(0); });
}

// ------------------------------------------------------------------ engine choice

function randomMatrix(n) {
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = Math.random() * 2 - 1;
  return m;
}

/**
 * Multiply-adds per millisecond of `run` (an n×n·n×n product): the best run
 * after one warm-up, repeating until about `budgetMs` has passed (2-8 runs).
 */
async function measure(run, n, budgetMs = 40) {
  await run();
  let best = Infinity;
  let spent = 0;
  for (let r = 0; r < 8 && (r < 2 || spent < budgetMs); r++) {
    const t0 = performance.now();
    await run();
    const dt = performance.now() - t0;
    spent += dt;
    best = Math.min(best, dt);
  }
  return { n, ms: round3(best), opsPerMs: Math.round((n * n * n) / Math.max(best, 0.01)) };
}

function calibrateCpu(n = 128) {
  const a = randomMatrix(n * n), b = randomMatrix(n * n), c = new Float32Array(n * n);
  return measure(() => multiplyCpu(a, b, n, n, n, c), n);
}

async function calibrateGpu(n = 128) {
  const a = randomMatrix(n * n);
  const job = { b: randomMatrix(n * n), gpuBuffer: null, gpuEpoch: -1, gpuUploading: null };
  try {
    return await measure(() => gpu.multiply(a, n, n, n, job), n);
  } finally {
    gpu.freeB(job);
  }
}

function onGpuLost() {
  // The chunk in hand (if any) fails on its own; the engine re-creates the device.
  log('warn', 'GPU device lost; re-creating it');
}

function engineInfo(note = '', noteIsWarning = false) {
  if (engine === 'webgpu') {
    return { engine, adapter: gpu.name, label: `WebGPU · ${gpu.name}`, note, noteIsWarning, maxBufferBytes };
  }
  return { engine: 'cpu', adapter: cpuDescription(), label: 'CPU', note, noteIsWarning, maxBufferBytes };
}

async function init(requested) {
  let note = '';
  let noteIsWarning = false;
  const calibration = {};
  if (requested !== 'cpu') {
    gpu = await GpuEngine.create({ onLost: onGpuLost, onLog: log });
    if (!gpu) {
      if (requested === 'webgpu') {
        note = `WebGPU requested but unavailable (${GpuEngine.lastError}); computing on the CPU`;
        noteIsWarning = true;
      }
      if (requested === 'auto') log('info', `no WebGPU (${GpuEngine.lastError}); using the CPU`);
    }
  }
  if (gpu && requested === 'auto' && gpu.isFallback) {
    // A software adapter (e.g. SwiftShader): keep whichever engine is faster here.
    try {
      calibration.cpu = await calibrateCpu();
      calibration.webgpu = await calibrateGpu();
    } catch (e) {
      calibration.webgpu = { error: errText(e) };
    }
    const gpuOps = calibration.webgpu.opsPerMs || 0;
    if (gpuOps > calibration.cpu.opsPerMs) {
      note = `software adapter, faster than the CPU (${gpuOps} vs ${calibration.cpu.opsPerMs} multiply-adds/ms)`;
    } else {
      note = `software GPU adapter (${gpu.name}) is slower than the CPU ` +
        `(${gpuOps} vs ${calibration.cpu.opsPerMs} multiply-adds/ms); computing on the CPU`;
      gpu.destroy();
      gpu = null;
    }
  }
  if (gpu) {
    engine = 'webgpu';
    maxBufferBytes = gpu.maxBufferBytes;
    if (!calibration.webgpu) {
      try { calibration.webgpu = await calibrateGpu(); } catch (e) { calibration.webgpu = { error: errText(e) }; }
    }
  } else {
    engine = 'cpu';
    maxBufferBytes = CPU_MAX_BUFFER_BYTES;
    if (!calibration.cpu) calibration.cpu = await calibrateCpu();
  }
  const opsPerMs = (calibration[engine] && calibration[engine].opsPerMs) || undefined;
  post({ op: 'ready', ...engineInfo(note, noteIsWarning), opsPerMs, calibration });
}

/** After a GPU failure: keep the GPU if a device can be had, else move to the CPU. */
async function checkGpuAfterFailure() {
  if (engine !== 'webgpu' || !gpu) return;
  try {
    await gpu.ensureDevice();
  } catch (e) {
    gpu.destroy();
    gpu = null;
    engine = 'cpu';
    // B stays in host memory, so held jobs carry on on the CPU.
    post({ op: 'engine', ...engineInfo(`GPU unavailable (${errText(e)}); computing on the CPU`, true) });
  }
}

// ------------------------------------------------------------------ jobs and chunks

function freeJob(job) {
  if (gpu) gpu.freeB(job);
  job.b = null;
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
      if (engine === 'webgpu' && gpu) {
        gpu.uploadB(job).catch((e) => log('warn', `B of job ${job.jobId} not uploaded yet: ${errText(e)}`));
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
    c = engine === 'webgpu'
      ? await gpu.multiply(task.a, task.rows, task.colsA, task.colsB, task.job)
      : multiplyCpu(task.a, task.job.b, task.rows, task.colsA, task.colsB);
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
    chunkIndex: task.chunkIndex, computeMs: round3(computeMs), waitMs: round3(waitMs), engine,
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

self.onmessage = (e) => {
  const m = e.data;
  if (!m || typeof m !== 'object' || typeof m.op !== 'string') return;
  try {
    switch (m.op) {
      case 'init':
        if (!initDone) {
          initDone = init(m.engine === 'webgpu' || m.engine === 'cpu' ? m.engine : 'auto').catch((err) => {
            // Whatever went wrong with the GPU, the CPU still works.
            gpu = null;
            engine = 'cpu';
            maxBufferBytes = CPU_MAX_BUFFER_BYTES;
            post({ op: 'ready', ...engineInfo(`engine set-up failed (${errText(err)}); computing on the CPU`, true) });
          });
        }
        break;
      case 'b': onB(m); break;
      case 'chunk': onChunk(m); break;
      case 'cancel': if (Array.isArray(m.assignmentIds)) onCancel(m.assignmentIds); break;
      case 'release': releaseJob(m.jobId); break;
      case 'reset': if (Number.isInteger(m.gen)) onReset(m.gen); break;
      case 'lose-device': if (gpu) gpu.simulateLoss(); break;
      default: log('warn', `compute worker: unknown op ${m.op}`);
    }
  } catch (err) {
    log('warn', `compute worker: ${m.op} failed: ${errText(err)}`);
  }
};

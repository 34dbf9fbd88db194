// The compute side of a worker tab, run as a module Web Worker so the page's
// main thread keeps heartbeating while a chunk is being multiplied.
//
// It holds B per job (and its GPU buffer, uploaded once per job), computes
// chunks one at a time in arrival order, and frees B on release. Only data
// arrives here: numbers, ids and float32 payloads.
//
// The CPU engine runs in kernel threads of its own (cpu-pool.js: one per
// logical core, WebAssembly SIMD or JavaScript); this worker feeds them.
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
import { multiplyCpu, cpuDescription, cpuMaxBufferBytes } from './cpu-engine.js';
import { CpuPool } from './cpu-pool.js';
import { GpuEngine } from './gpu-engine.js';

let gen = 0;
let engine = 'cpu';
let gpu = null;
let pool = null;          // the CPU engine's kernel threads; null where workers cannot start workers
let maxBufferBytes = cpuMaxBufferBytes();
let measured = null;      // {n, ms, opsPerMs} of the engine in use
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

let benchKeys = 0;

/** Runs `fn(mul)` with B shared with the CPU engine under a throw-away key. */
async function withCpuB(b, K, N, kernel, fn) {
  if (!pool) {
    if (kernel === 'wasm') throw new Error('WebAssembly SIMD kernel threads are not available here');
    return fn((a, M) => multiplyCpu(a, b, M, K, N));
  }
  const key = `bench:${++benchKeys}`;
  pool.shareB(key, b, K, N, kernel);
  try {
    return await fn((a, M, threads) => pool.multiply(a, M, K, N, key, { kernel, threads }));
  } finally {
    pool.free(key);
  }
}

function cpuKernel() {
  return pool ? pool.kernel : 'js';
}

function calibrateCpu(n = 128, kernel = cpuKernel()) {
  const a = randomMatrix(n * n), b = randomMatrix(n * n);
  return withCpuB(b, n, n, kernel, (mul) => measure(() => mul(a, n), n));
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

function cpuAdapter() {
  return pool ? pool.description : cpuDescription();
}

function engineInfo(note = '', noteIsWarning = false) {
  const speed = measured
    ? { opsPerMs: measured.opsPerMs, gflops: Math.round(measured.opsPerMs * 2 / 1e4) / 100, measuredN: measured.n }
    : { opsPerMs: undefined, gflops: undefined, measuredN: undefined };
  if (engine === 'webgpu') {
    return {
      engine, kernel: 'webgpu', adapter: gpu.name, label: `WebGPU · ${gpu.name}`, note, noteIsWarning, maxBufferBytes,
      gpuLimits: gpu.limitsReport, ...speed,
    };
  }
  const adapter = cpuAdapter();
  return {
    engine: 'cpu', kernel: cpuKernel(), adapter, label: `CPU · ${adapter}`, note, noteIsWarning,
    maxBufferBytes, threads: pool ? pool.threads : 1, simd: !!(pool && pool.simd), relaxedSimd: !!(pool && pool.relaxed),
    kernelDetail: pool ? pool.kernelDescription : 'JavaScript', ...speed,
  };
}

async function startPool(threads, wish) {
  try {
    pool = await CpuPool.create({ threads, kernel: wish === 'js' ? 'js' : 'auto', onLog: log });
  } catch (e) {
    pool = null;
    log('warn', `CPU kernel threads unavailable (${errText(e)}); multiplying on one thread in JavaScript`);
  }
}

async function init(requested, threads) {
  let note = '';
  let noteIsWarning = false;
  const calibration = {};
  await startPool(threads, requested === 'js' ? 'js' : 'auto');
  if (requested === 'wasm' && cpuKernel() !== 'wasm') {
    note = 'WebAssembly SIMD requested but unavailable; computing in JavaScript';
    noteIsWarning = true;
  }
  if (requested === 'auto' || requested === 'webgpu') {
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
    if (calibration.webgpu.opsPerMs) measured = calibration.webgpu;
  } else {
    engine = 'cpu';
    maxBufferBytes = cpuMaxBufferBytes();
    if (!calibration.cpu) calibration.cpu = await calibrateCpu();
    // The speed shown and reported: a size where the kernel, not the messaging, is timed.
    const n = cpuKernel() === 'wasm' ? 512 : 256;
    try { measured = await calibrateCpu(n); } catch (e) { measured = calibration.cpu; }
    calibration.cpuReported = measured;
  }
  post({ op: 'ready', ...engineInfo(note, noteIsWarning), calibration });
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
    maxBufferBytes = cpuMaxBufferBytes();
    measured = null;
    // B stays in host memory, so held jobs carry on on the CPU.
    post({ op: 'engine', ...engineInfo(`GPU unavailable (${errText(e)}); computing on the CPU`, true) });
  }
}

// ------------------------------------------------------------------ jobs and chunks

function freeJob(job) {
  if (gpu) gpu.freeB(job);
  if (pool) pool.free(job.jobId);
  job.b = null;
}

/** The CPU engine's product of a chunk (B shared with the kernel threads on first use). */
function multiplyOnCpu(a, M, K, N, job) {
  if (!pool || pool.broken) return multiplyCpu(a, job.b, M, K, N);
  if (!pool.hasB(job.jobId)) pool.shareB(job.jobId, job.b, K, N);
  return pool.multiply(a, M, K, N, job.jobId);
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
      } else if (pool && !pool.broken) {
        pool.shareB(job.jobId, job.b, job.rows, job.cols);
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

/** Runs `fn(gpuEngine)` on the engine in use or, if the tab computes on the CPU, a temporary one. */
async function withGpu(fn, limitsCap) {
  if (gpu && !limitsCap) return fn(gpu);
  const temporary = await GpuEngine.create({ onLog: log, limitsCap });
  if (!temporary) throw new Error(`WebGPU unavailable: ${GpuEngine.lastError}`);
  try {
    return await fn(temporary);
  } finally {
    temporary.destroy();
  }
}

function gpuJob(b) {
  return { b, gpuBuffer: null, gpuEpoch: -1, gpuUploading: null };
}

/**
 * Times an n×n·n×n product: the best of `runs` after one warm-up (B shared or uploaded once
 * before, as for a job). engine 'current' is the one the tab computes with.
 */
async function bench({ n = 1024, engine: which = 'current', threads, runs = 3 }) {
  n = Math.max(1, Math.min(4096, n | 0));
  runs = Math.max(1, Math.min(20, runs | 0));
  if (which === 'current') which = engine === 'webgpu' ? 'webgpu' : cpuKernel();
  if (!['wasm', 'js', 'webgpu'].includes(which)) throw new Error(`unknown engine ${which}`);
  const a = randomMatrix(n * n), b = randomMatrix(n * n);
  const times = [];
  const timeRuns = async (run) => {
    await run();
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      await run();
      times.push(round3(performance.now() - t0));
    }
  };
  let adapter;
  let usedThreads = 1;
  if (which === 'webgpu') {
    await withGpu(async (g) => {
      adapter = `WebGPU · ${g.name}`;
      const job = gpuJob(b);
      try { await timeRuns(() => g.multiply(a, n, n, n, job)); } finally { g.freeB(job); }
    });
  } else {
    usedThreads = pool ? Math.max(1, Math.min(pool.threads, Number.isInteger(threads) ? threads : pool.threads)) : 1;
    if (which === 'wasm' && !(pool && pool.simd)) throw new Error('WebAssembly SIMD is not available in this browser');
    adapter = `${which === 'wasm' ? 'WebAssembly SIMD' : 'JavaScript'} × ${usedThreads} worker${usedThreads === 1 ? '' : 's'}`;
    await withCpuB(b, n, n, which, (mul) => timeRuns(() => mul(a, n, usedThreads)));
  }
  const ms = Math.min(...times);
  const sorted = [...times].sort((x, y) => x - y);
  return {
    engine: which, adapter, n, threads: usedThreads, ms, medianMs: sorted[Math.floor(sorted.length / 2)],
    runsMs: times, gflops: Math.round((2 * n * n * n) / (ms * 1e6) * 100) / 100,
  };
}

/** The product computed by one engine, for tests: {c: Float32Array}. */
async function testMultiply({ engine: which, a, b, m, k, n, gpuLimits }) {
  if (!(a instanceof Float32Array) || !(b instanceof Float32Array) || a.length !== m * k || b.length !== k * n) {
    throw new Error('a and b must be Float32Arrays of m·k and k·n values');
  }
  if (which === 'webgpu') {
    return withGpu(async (g) => {
      const job = gpuJob(b);
      try { return { c: await g.multiply(a, m, k, n, job), engine: 'webgpu', gpuLimits: g.limitsReport }; } finally { g.freeB(job); }
    }, gpuLimits);
  }
  if (which !== 'wasm' && which !== 'js') throw new Error(`unknown engine ${which}`);
  return withCpuB(b, k, n, which, async (mul) => ({ c: await mul(a, m), engine: which }));
}

self.onmessage = (e) => {
  const m = e.data;
  if (!m || typeof m !== 'object' || typeof m.op !== 'string') return;
  try {
    switch (m.op) {
      case 'init':
        if (!initDone) {
          initDone = init(ENGINES.includes(m.engine) ? m.engine : 'auto', threadCount(m.threads)).catch((err) => {
            // Whatever went wrong with the GPU, the CPU still works.
            gpu = null;
            engine = 'cpu';
            maxBufferBytes = cpuMaxBufferBytes();
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
      case 'bench': answer(m, 'bench-result', () => bench(m)); break;
      case 'test-multiply': answer(m, 'test-result', () => testMultiply(m)); break;
      default: log('warn', `compute worker: unknown op ${m.op}`);
    }
  } catch (err) {
    log('warn', `compute worker: ${m.op} failed: ${errText(err)}`);
  }
};

// The compute Web Worker's engine: WebGPU, or the CPU's kernel threads (WebAssembly SIMD or
// JavaScript), chosen and calibrated at init, and given up for the CPU after a GPU loss.

import { multiplyCpu, cpuDescription, cpuMaxBufferBytes } from './cpu-engine.js';
import { CpuPool } from './cpu-pool.js';
import { GpuEngine } from './gpu-engine.js';
import { errText, log, post, round3 } from './compute-context.js';

/** The engine in use: shared with the chunk queue (compute-worker.js) and the probes. */
export const inUse = {
  engine: 'cpu',
  gpu: null,
  pool: null,          // the CPU engine's kernel threads; null where workers cannot start workers
  maxBufferBytes: cpuMaxBufferBytes(),
  measured: null,      // {n, ms, opsPerMs} of the engine in use
};

export function randomMatrix(n) {
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = Math.random() * 2 - 1;
  return m;
}

/**
 * Multiply-adds per millisecond of `run` (an n×n·n×n product): the best run
 * after one warm-up, repeating until about `budgetMs` has passed (2-8 runs).
 */
export async function measure(run, n, budgetMs = 40) {
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
export async function withCpuB(b, K, N, kernel, fn) {
  if (!inUse.pool) {
    if (kernel === 'wasm') throw new Error('WebAssembly SIMD kernel threads are not available here');
    return fn((a, M) => multiplyCpu(a, b, M, K, N));
  }
  const key = `bench:${++benchKeys}`;
  inUse.pool.shareB(key, b, K, N, kernel);
  try {
    return await fn((a, M, threads) => inUse.pool.multiply(a, M, K, N, key, { kernel, threads }));
  } finally {
    inUse.pool.free(key);
  }
}

export function cpuKernel() {
  return inUse.pool ? inUse.pool.kernel : 'js';
}

function calibrateCpu(n = 128, kernel = cpuKernel()) {
  const a = randomMatrix(n * n), b = randomMatrix(n * n);
  return withCpuB(b, n, n, kernel, (mul) => measure(() => mul(a, n), n));
}

async function calibrateGpu(n = 128) {
  const a = randomMatrix(n * n);
  const job = { b: randomMatrix(n * n), gpuBuffer: null, gpuEpoch: -1, gpuUploading: null };
  try {
    return await measure(() => inUse.gpu.multiply(a, n, n, n, job), n);
  } finally {
    inUse.gpu.freeB(job);
  }
}

function onGpuLost() {
  // The chunk in hand (if any) fails on its own; the engine re-creates the device.
  log('warn', 'GPU device lost; re-creating it');
}

function cpuAdapter() {
  return inUse.pool ? inUse.pool.description : cpuDescription();
}

export function engineInfo(note = '', noteIsWarning = false) {
  const speed = inUse.measured
    ? { opsPerMs: inUse.measured.opsPerMs, gflops: Math.round(inUse.measured.opsPerMs * 2 / 1e4) / 100, measuredN: inUse.measured.n }
    : { opsPerMs: undefined, gflops: undefined, measuredN: undefined };
  if (inUse.engine === 'webgpu') {
    return {
      engine: inUse.engine, kernel: 'webgpu', adapter: inUse.gpu.name, label: `WebGPU · ${inUse.gpu.name}`, note, noteIsWarning, maxBufferBytes: inUse.maxBufferBytes,
      gpuLimits: inUse.gpu.limitsReport, ...speed,
    };
  }
  const adapter = cpuAdapter();
  return {
    engine: 'cpu', kernel: cpuKernel(), adapter, label: `CPU · ${adapter}`, note, noteIsWarning,
    maxBufferBytes: inUse.maxBufferBytes, threads: inUse.pool ? inUse.pool.threads : 1, simd: !!(inUse.pool && inUse.pool.simd), relaxedSimd: !!(inUse.pool && inUse.pool.relaxed),
    kernelDetail: inUse.pool ? inUse.pool.kernelDescription : 'JavaScript', ...speed,
  };
}

async function startPool(threads, wish) {
  try {
    inUse.pool = await CpuPool.create({ threads, kernel: wish === 'js' ? 'js' : 'auto', onLog: log });
  } catch (e) {
    inUse.pool = null;
    log('warn', `CPU kernel threads unavailable (${errText(e)}); multiplying on one thread in JavaScript`);
  }
}

export async function init(requested, threads) {
  let note = '';
  let noteIsWarning = false;
  const calibration = {};
  await startPool(threads, requested === 'js' ? 'js' : 'auto');
  if (requested === 'wasm' && cpuKernel() !== 'wasm') {
    note = 'WebAssembly SIMD requested but unavailable; computing in JavaScript';
    noteIsWarning = true;
  }
  if (requested === 'auto' || requested === 'webgpu') {
    inUse.gpu = await GpuEngine.create({ onLost: onGpuLost, onLog: log });
    if (!inUse.gpu) {
      if (requested === 'webgpu') {
        note = `WebGPU requested but unavailable (${GpuEngine.lastError}); computing on the CPU`;
        noteIsWarning = true;
      }
      if (requested === 'auto') log('info', `no WebGPU (${GpuEngine.lastError}); using the CPU`);
    }
  }
  if (inUse.gpu && requested === 'auto' && inUse.gpu.isFallback) {
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
      note = `software GPU adapter (${inUse.gpu.name}) is slower than the CPU ` +
        `(${gpuOps} vs ${calibration.cpu.opsPerMs} multiply-adds/ms); computing on the CPU`;
      inUse.gpu.destroy();
      inUse.gpu = null;
    }
  }
  if (inUse.gpu) {
    inUse.engine = 'webgpu';
    inUse.maxBufferBytes = inUse.gpu.maxBufferBytes;
    if (!calibration.webgpu) {
      try { calibration.webgpu = await calibrateGpu(); } catch (e) { calibration.webgpu = { error: errText(e) }; }
    }
    if (calibration.webgpu.opsPerMs) inUse.measured = calibration.webgpu;
  } else {
    inUse.engine = 'cpu';
    inUse.maxBufferBytes = cpuMaxBufferBytes();
    if (!calibration.cpu) calibration.cpu = await calibrateCpu();
    // The speed shown and reported: a size where the kernel, not the messaging, is timed.
    const n = cpuKernel() === 'wasm' ? 512 : 256;
    try { inUse.measured = await calibrateCpu(n); } catch (e) { inUse.measured = calibration.cpu; }
    calibration.cpuReported = inUse.measured;
  }
  post({ op: 'ready', ...engineInfo(note, noteIsWarning), calibration });
}

/** After a GPU failure: keep the GPU if a device can be had, else move to the CPU. */
export async function checkGpuAfterFailure() {
  if (inUse.engine !== 'webgpu' || !inUse.gpu) return;
  try {
    await inUse.gpu.ensureDevice();
  } catch (e) {
    inUse.gpu.destroy();
    inUse.gpu = null;
    inUse.engine = 'cpu';
    inUse.maxBufferBytes = cpuMaxBufferBytes();
    inUse.measured = null;
    // B stays in host memory, so held jobs carry on on the CPU.
    post({ op: 'engine', ...engineInfo(`GPU unavailable (${errText(e)}); computing on the CPU`, true) });
  }
}

/** init failed: whatever went wrong with the GPU, the CPU still works. */
export function fallBackToCpu(err) {
  inUse.gpu = null;
  inUse.engine = 'cpu';
  inUse.maxBufferBytes = cpuMaxBufferBytes();
  post({ op: 'ready', ...engineInfo(`engine set-up failed (${errText(err)}); computing on the CPU`, true) });
}

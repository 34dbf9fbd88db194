// The compute Web Worker's probes for the page and the tests: a timed product on one engine
// (the tab's benchmark panel) and a product computed by a named engine (engine tests).

import { GpuEngine } from './gpu-engine.js';
import { cpuKernel, inUse, randomMatrix, withCpuB } from './engine-choice.js';
import { log, round3 } from './compute-context.js';

/** Runs `fn(gpuEngine)` on the engine in use or, if the tab computes on the CPU, a temporary one. */
async function withGpu(fn, limitsCap) {
  if (inUse.gpu && !limitsCap) return fn(inUse.gpu);
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
export async function bench({ n = 1024, engine: which = 'current', threads, runs = 3 }) {
  n = Math.max(1, Math.min(4096, n | 0));
  runs = Math.max(1, Math.min(20, runs | 0));
  if (which === 'current') which = inUse.engine === 'webgpu' ? 'webgpu' : cpuKernel();
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
    usedThreads = inUse.pool ? Math.max(1, Math.min(inUse.pool.threads, Number.isInteger(threads) ? threads : inUse.pool.threads)) : 1;
    if (which === 'wasm' && !(inUse.pool && inUse.pool.simd)) throw new Error('WebAssembly SIMD is not available in this browser');
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
export async function testMultiply({ engine: which, a, b, m, k, n, gpuLimits }) {
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

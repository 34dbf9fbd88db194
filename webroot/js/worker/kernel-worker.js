// One thread of the CPU engine: a module Web Worker started by cpu-pool.js
// (one per logical core). It keeps a copy of B per job and multiplies the
// rows of A it is given, with the WebAssembly SIMD kernel (webroot/wasm/) or
// the JavaScript one (cpu-engine.js). Only numbers come in and go out.
//
// Pool -> thread: {op:'init', tune?}                      -> {op:'ready', simd, relaxed, description, error?}
//                 {op:'b', key, b, K, N, kernel}          (b: Float32Array, copied to each thread once per job;
//                                                          packed at once for 'wasm', and then only the packed copy is kept)
//                 {op:'mul', id, key, kernel:'wasm'|'js', a, M, K, N}  -> {op:'done', id, c, ms} | {op:'fail', id, error}
//                 {op:'free', key}

import { WasmGemm } from '../../wasm/gemm.js';
import { multiplyCpu } from './cpu-engine.js';

let wasm = null;
let ready = null;
const jobs = new Map(); // key -> {b, K, N, packed}

async function init(tune) {
  let error = null;
  try {
    wasm = await WasmGemm.create(tune || {});
  } catch (e) {
    wasm = null;
    error = e && e.message ? e.message : String(e);
  }
  self.postMessage({
    op: 'ready', simd: !!wasm, relaxed: !!(wasm && wasm.relaxed),
    description: wasm ? wasm.description : 'JavaScript', error,
  });
}

function mul(m) {
  const job = jobs.get(m.key);
  if (!job) throw new Error(`no B for ${m.key}`);
  if (job.K !== m.K || job.N !== m.N) throw new Error('B does not match the chunk');
  const t0 = performance.now();
  let c;
  if (m.kernel === 'wasm') {
    if (!wasm) throw new Error('WebAssembly SIMD is not available in this browser');
    if (!job.packed) job.packed = wasm.packB(job.b, job.K, job.N);
    job.b = null;
    c = wasm.multiply(m.a, m.M, m.K, m.N, job.packed);
  } else {
    if (!job.b) throw new Error(`B of ${m.key} was shared for the WebAssembly kernel`);
    c = multiplyCpu(m.a, job.b, m.M, m.K, m.N);
  }
  return { c, ms: performance.now() - t0 };
}

self.onmessage = async (e) => {
  const m = e.data;
  if (!m || typeof m.op !== 'string') return;
  switch (m.op) {
    case 'init':
      if (!ready) ready = init(m.tune);
      break;
    case 'b': {
      await ready;
      const job = { b: m.b, K: m.K, N: m.N, packed: null };
      if (m.kernel === 'wasm' && wasm) {
        job.packed = wasm.packB(m.b, m.K, m.N);
        job.b = null;
      }
      jobs.set(m.key, job);
      break;
    }
    case 'mul': {
      await ready;
      try {
        const { c, ms } = mul(m);
        self.postMessage({ op: 'done', id: m.id, c, ms }, [c.buffer]);
      } catch (err) {
        self.postMessage({ op: 'fail', id: m.id, error: err && err.message ? err.message : String(err) });
      }
      break;
    }
    case 'free': {
      const job = jobs.get(m.key);
      if (job && job.packed && wasm) wasm.forget(job.packed);
      jobs.delete(m.key);
      break;
    }
    default:
      break;
  }
};

// The WebAssembly CPU kernel, ready to call: compiles the module built from
// ./matmul-kernel.js, packs A and B into its memory and returns C.
//
//   const k = await WasmGemm.create();            // null where WebAssembly SIMD is missing
//   const packed = k.packB(b, K, N);              // once per B (kept in JS memory)
//   const c = k.multiply(a, M, K, N, packed);     // Float32Array M×N
//
// Works on a page, in a worker, or in Node.

import { buildGemm, wasmFeatures, DEFAULTS, DEFAULTS_RELAXED } from './matmul-kernel.js';

const PAGE = 65536;
const ALIGN = 64;

const alignUp = (x, a) => Math.ceil(x / a) * a;

export class WasmGemm {
  /** options: {mr, nv, kc, mc, relaxed: true|false|'auto'}. Resolves to null without SIMD. */
  static async create(options = {}) {
    const features = wasmFeatures();
    if (!features.simd) return null;
    const relaxed = options.relaxed === undefined || options.relaxed === 'auto' ? features.relaxed : !!options.relaxed && features.relaxed;
    const o = { ...(relaxed ? DEFAULTS_RELAXED : DEFAULTS), ...options, relaxed };
    const memory = new WebAssembly.Memory({ initial: 16 });
    const module = await WebAssembly.compile(buildGemm(o));
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return new WasmGemm(o, memory, instance.exports.gemm);
  }

  constructor(options, memory, gemm) {
    this.options = options;
    this.mr = options.mr;
    this.nr = 4 * options.nv;
    this.relaxed = options.relaxed;
    this.memory = memory;
    this.gemm = gemm;
    this.resident = null; // the packed B now in wasm memory
    this.residentLength = 0;
  }

  get description() {
    return `WebAssembly SIMD${this.relaxed ? ' (relaxed FMA)' : ''}, ${this.mr}×${this.nr} tiles`;
  }

  /** B (K×N) in NR-column panels, zero-padded: a Float32Array of K·ceil(N/NR)·NR. */
  packB(b, K, N) {
    const nr = this.nr;
    const Np = alignUp(N, nr);
    const out = new Float32Array(K * Np);
    let o = 0;
    for (let j0 = 0; j0 < N; j0 += nr) {
      const w = Math.min(nr, N - j0);
      for (let k = 0; k < K; k++) {
        const row = k * N + j0;
        for (let c = 0; c < w; c++) out[o + c] = b[row + c];
        o += nr;
      }
    }
    return { data: out, K, N, Np };
  }

  _ensure(bytes) {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  /** C (M×N) = A (M×K, row-major) · B (packed by packB). */
  multiply(a, M, K, N, packed, out) {
    if (packed.K !== K || packed.N !== N) throw new Error('packed B does not match the dimensions');
    if (a.length < M * K) throw new RangeError('A smaller than its dimensions');
    const c = out || new Float32Array(M * N);
    if (M === 0 || N === 0) return c;
    const mr = this.mr;
    const Np = packed.Np;
    const Mp = alignUp(M, mr);
    const bOff = 0;
    const aOff = alignUp(bOff + K * Np * 4, ALIGN);
    const cOff = alignUp(aOff + Mp * K * 4, ALIGN);
    const end = cOff + Mp * Np * 4;
    if (end > 0xffff0000) throw new RangeError('product too large for 32-bit WebAssembly memory');
    this._ensure(end);
    const heap = new Float32Array(this.memory.buffer);
    if (this.resident !== packed || this.residentLength !== packed.data.length) {
      heap.set(packed.data, bOff / 4);
      this.resident = packed;
      this.residentLength = packed.data.length;
    }
    // A in MR-row panels, k-major, zero-padded rows
    let o = aOff / 4;
    for (let i0 = 0; i0 < M; i0 += mr) {
      const h = Math.min(mr, M - i0);
      if (h < mr) heap.fill(0, o, o + mr * K);
      for (let r = 0; r < h; r++) {
        let src = (i0 + r) * K;
        let dst = o + r;
        for (let k = 0; k < K; k++, dst += mr) heap[dst] = a[src++];
      }
      o += mr * K;
    }
    heap.fill(0, cOff / 4, end / 4);
    this.gemm(Mp, Np, K, aOff, bOff, cOff);
    const base = cOff / 4;
    if (Np === N) {
      c.set(heap.subarray(base, base + M * N));
    } else {
      for (let i = 0; i < M; i++) c.set(heap.subarray(base + i * Np, base + i * Np + N), i * N);
    }
    return c;
  }

  /** Forgets the resident B (when its job is released). */
  forget(packed) {
    if (this.resident === packed) {
      this.resident = null;
      this.residentLength = 0;
    }
  }
}

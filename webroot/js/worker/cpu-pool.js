// The CPU engine: one kernel thread (kernel-worker.js) per logical core, each
// multiplying a share of a chunk's rows. B is copied to every thread once per
// job (no SharedArrayBuffer: the pages are not cross-origin isolated).
//
//   const pool = await CpuPool.create({ threads: 2, kernel: 'auto' | 'wasm' | 'js' });
//   pool.shareB(key, b, K, N);                        // once per job (for pool.kernel)
//   const c = await pool.multiply(a, M, K, N, key);   // Float32Array M×N
//   pool.free(key);
//
// pool.kernel is 'wasm' when every thread compiled the WebAssembly SIMD
// kernel (and 'js' was not asked for), else 'js'.

const READY_TIMEOUT_MS = 20000;
// Below this many multiply-adds a chunk goes to one thread: splitting costs more than it saves.
const SPLIT_MIN_OPS = 1 << 18;
const ROW_UNIT = 12; // shares of rows are multiples of this (of the kernel's MR: 4 or 6)

export class CpuPool {
  static async create({ threads, kernel = 'auto', tune, onLog } = {}) {
    const pool = new CpuPool(threads, onLog);
    try {
      await pool._start(kernel, tune);
      return pool;
    } catch (e) {
      pool.destroy();
      throw e;
    }
  }

  constructor(threads, onLog) {
    this.threads = Math.max(1, threads | 0);
    this._log = onLog || (() => {});
    this._workers = [];
    this._pending = new Map(); // id -> {resolve, reject, worker}
    this._nextId = 1;
    this._shared = new Set();
    this.kernel = 'js';
    this.simd = false;
    this.relaxed = false;
    this.kernelDescription = 'JavaScript';
    this.broken = null;
  }

  async _start(kernel, tune) {
    const url = new URL('./kernel-worker.js', import.meta.url);
    const readies = [];
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(url, { type: 'module', name: `brain-kernel-${i + 1}` });
      this._workers.push(w);
      readies.push(new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('a kernel thread did not start')), READY_TIMEOUT_MS);
        w.onmessage = (e) => {
          if (e.data && e.data.op === 'ready') {
            clearTimeout(timer);
            w.onmessage = (ev) => this._onMessage(w, ev.data);
            resolve(e.data);
          }
        };
        w.onerror = (e) => {
          e.preventDefault();
          clearTimeout(timer);
          reject(new Error('a kernel thread failed: ' + (e.message || 'unknown error')));
        };
      }));
      w.postMessage({ op: 'init', tune });
    }
    const infos = await Promise.all(readies);
    for (const w of this._workers) {
      w.onerror = (e) => {
        e.preventDefault();
        this._fail(w, 'kernel thread failed: ' + (e.message || 'unknown error'));
      };
    }
    this.simd = infos.every((i) => i.simd);
    this.relaxed = this.simd && infos.every((i) => i.relaxed);
    if (this.simd) this.kernelDescription = infos[0].description;
    if (!this.simd && infos[0].error) this._log('info', `WebAssembly SIMD unavailable: ${infos[0].error}`);
    this.kernel = kernel !== 'js' && this.simd ? 'wasm' : 'js';
  }

  /** e.g. "WebAssembly SIMD × 2 workers" */
  get description() {
    return `${this.kernel === 'wasm' ? 'WebAssembly SIMD' : 'JavaScript'} × ${this.threads} worker${this.threads === 1 ? '' : 's'}`;
  }

  _onMessage(worker, m) {
    if (!m) return;
    const p = this._pending.get(m.id);
    if (!p) return;
    this._pending.delete(m.id);
    if (m.op === 'done') p.resolve(m);
    else p.reject(new Error(m.error || 'kernel thread failed'));
  }

  _fail(worker, error) {
    this.broken = error;
    for (const [id, p] of this._pending) {
      if (p.worker === worker) {
        this._pending.delete(id);
        p.reject(new Error(error));
      }
    }
  }

  hasB(key) {
    return this._shared.has(key);
  }

  /** Copies B (K×N) to every thread, for multiplications with `kernel`. */
  shareB(key, b, K, N, kernel = this.kernel) {
    for (const w of this._workers) w.postMessage({ op: 'b', key, b, K, N, kernel });
    this._shared.add(key);
  }

  free(key) {
    if (!this._shared.delete(key)) return;
    for (const w of this._workers) w.postMessage({ op: 'free', key });
  }

  /**
   * C (M×N) = A (M×K) · B (shared under `key`). Options: kernel ('wasm'|'js', default this.kernel),
   * threads (at most this many threads take a share).
   */
  async multiply(a, M, K, N, key, { kernel = this.kernel, threads = this.threads } = {}) {
    if (this.broken) throw new Error(this.broken);
    if (!this._shared.has(key)) throw new Error(`B of ${key} was not shared with the kernel threads`);
    if (kernel === 'wasm' && !this.simd) throw new Error('WebAssembly SIMD is not available in this browser');
    const units = Math.ceil(M / ROW_UNIT);
    let parts = Math.max(1, Math.min(threads, this.threads, units));
    if (M * K * N < SPLIT_MIN_OPS) parts = 1;
    const perPart = Math.ceil(units / parts) * ROW_UNIT;
    const shares = [];
    for (let p = 0, r0 = 0; p < parts && r0 < M; p++, r0 += perPart) {
      const r1 = Math.min(M, r0 + perPart);
      const slice = a.slice(r0 * K, r1 * K); // a copy, transferred
      const id = this._nextId++;
      const worker = this._workers[p];
      shares.push(new Promise((resolve, reject) => {
        this._pending.set(id, { resolve, reject, worker });
        worker.postMessage({ op: 'mul', id, key, kernel, a: slice, M: r1 - r0, K, N }, [slice.buffer]);
      }).then((m) => ({ r0, c: m.c })));
    }
    const done = await Promise.all(shares);
    if (done.length === 1) return done[0].c;
    const c = new Float32Array(M * N);
    for (const { r0, c: part } of done) c.set(part, r0 * N);
    return c;
  }

  destroy() {
    for (const w of this._workers) w.terminate();
    this._workers = [];
    for (const p of this._pending.values()) p.reject(new Error('CPU engine stopped'));
    this._pending.clear();
  }
}

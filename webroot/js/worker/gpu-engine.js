// WebGPU engine: runs shaders/matmul.wgsl. Works on a page or in a worker.
//
//   const gpu = await GpuEngine.create();          // null when WebGPU is unavailable
//   gpu.uploadB(job);                               // job = {b: Float32Array, K, N}; once per job
//   const c = await gpu.multiply(a, M, K, N, job);  // Float32Array M×N
//   gpu.freeB(job);
//
// A lost device is re-created (on a fresh adapter) before the next multiply;
// B buffers are re-uploaded from the job's CPU copy as needed. The multiply in
// hand when the device goes rejects, and the caller reports that chunk failed.

const SHADER_URL = new URL('../../shaders/matmul.wgsl', import.meta.url);

/**
 * Workgroup side WG (the tile is 4·WG square) and TILE_K from the adapter's limits:
 * the largest WG of 16, 8, 4 whose WG×WG invocations fit, and the largest TILE_K of 16, 8, 4
 * whose two tiles (2·4WG·TILE_K floats) fit the workgroup storage.
 */
export function tileConfig(limits) {
  const inv = limits.maxComputeInvocationsPerWorkgroup || 256;
  const sx = limits.maxComputeWorkgroupSizeX || 256;
  const sy = limits.maxComputeWorkgroupSizeY || 256;
  const storage = limits.maxComputeWorkgroupStorageSize || 16384;
  let wg = 16;
  while (wg > 4 && (wg * wg > inv || wg > sx || wg > sy)) wg /= 2;
  const tile = 4 * wg;
  let tileK = 16;
  while (tileK > 4 && 2 * tile * tileK * 4 > storage) tileK /= 2;
  return { wg, tile, tileK, invocations: wg * wg, storageBytes: 2 * tile * tileK * 4 };
}

function sizedShader(code, { wg, tileK }) {
  const sized = code
    .replace(/const WG : u32 = \d+u;/, `const WG : u32 = ${wg}u;`)
    .replace(/const TILE_K : u32 = \d+u;/, `const TILE_K : u32 = ${tileK}u;`);
  if (!sized.includes(`const WG : u32 = ${wg}u;`) || !sized.includes(`const TILE_K : u32 = ${tileK}u;`)) {
    throw new Error('matmul.wgsl: its WG / TILE_K lines were not found');
  }
  return sized;
}

let shaderSource = null;
async function loadShader() {
  if (shaderSource === null) {
    const res = await fetch(SHADER_URL);
    if (!res.ok) throw new Error(`could not load the shader (${res.status})`);
    shaderSource = await res.text();
  }
  return shaderSource;
}

function adapterName(adapter, info) {
  // e.g. "google swiftshader", "nvidia ampere"; the device name stands in
  // for an empty architecture ("nvidia-h100-80gb-hbm3" under Dawn/Vulkan).
  const clean = (v) => (typeof v === 'string' ? v.replace(/[\u0000-\u001f\u007f]/g, '').trim() : '');
  const vendor = clean(info && info.vendor);
  const architecture = clean(info && info.architecture);
  const device = clean(info && info.device);
  const description = clean(info && info.description);
  let parts = [vendor, architecture || device].filter(Boolean);
  if (parts.length === 2 && parts[1].toLowerCase().startsWith(parts[0].toLowerCase())) parts = [parts[1]];
  if (parts.length === 0 && description) parts = [description];
  return (parts.join(' ') || 'unknown GPU').slice(0, 120);
}

function isFallback(adapter, info) {
  if (info && typeof info.isFallbackAdapter === 'boolean') return info.isFallbackAdapter;
  if (typeof adapter.isFallbackAdapter === 'boolean') return adapter.isFallbackAdapter;
  // Older builds: SwiftShader is the software fallback.
  return !!(info && /swiftshader/i.test(`${info.vendor} ${info.architecture} ${info.description}`));
}

async function requestAdapter() {
  const gpu = globalThis.navigator && navigator.gpu;
  if (!gpu) return null;
  try {
    return await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return null;
  }
}

export class GpuEngine {
  /** Returns a ready engine, or null when WebGPU cannot be used here (reason in `GpuEngine.lastError`). */
  static async create({ onLost, onLog, limitsCap } = {}) {
    GpuEngine.lastError = null;
    if (!globalThis.navigator || !navigator.gpu) {
      GpuEngine.lastError = 'navigator.gpu is not available';
      return null;
    }
    const engine = new GpuEngine(onLost, onLog);
    engine._limitsCap = limitsCap || null; // tests: size tiles as if the adapter had these (lower) limits
    try {
      await engine._init();
      return engine;
    } catch (e) {
      GpuEngine.lastError = e && e.message ? e.message : String(e);
      engine.destroy();
      return null;
    }
  }

  constructor(onLost, onLog) {
    this._onLost = onLost || (() => {});
    this._log = onLog || (() => {});
    this.device = null;
    this.pipeline = null;
    this.epoch = 0;          // bumped for every new device; B buffers remember theirs
    this.name = 'unknown GPU';
    this.isFallback = false;
    this.maxBufferBytes = 0;
    this._ready = null;      // promise of a (re-)created device
    this._destroyed = false;
    this._pool = { a: null, c: null, read: null };
    this._uniform = null;
  }

  async _init() {
    const adapter = await requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter');
    const info = adapter.info || (typeof adapter.requestAdapterInfo === 'function' ? await adapter.requestAdapterInfo() : null);
    this.name = adapterName(adapter, info);
    this.isFallback = isFallback(adapter, info);
    const al = adapter.limits;
    const sizing = {};
    for (const name of ['maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
      'maxComputeWorkgroupStorageSize']) {
      const cap = this._limitsCap && this._limitsCap[name];
      sizing[name] = Number.isInteger(cap) && cap > 0 ? Math.min(cap, al[name]) : al[name];
    }
    const config = tileConfig(sizing);
    const device = await adapter.requestDevice({
      label: 'brain-matmul',
      requiredLimits: {
        maxStorageBufferBindingSize: al.maxStorageBufferBindingSize,
        maxBufferSize: al.maxBufferSize,
        maxComputeInvocationsPerWorkgroup: config.invocations,
        maxComputeWorkgroupSizeX: config.wg,
        maxComputeWorkgroupSizeY: config.wg,
        maxComputeWorkgroupStorageSize: config.storageBytes,
      },
    });
    if (this._destroyed) {
      device.destroy();
      throw new Error('engine destroyed');
    }
    const code = sizedShader(await loadShader(), config);
    const module = device.createShaderModule({ label: 'matmul.wgsl', code });
    const info2 = await module.getCompilationInfo();
    const errors = info2.messages.filter((m) => m.type === 'error');
    if (errors.length) throw new Error('matmul.wgsl: ' + errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; '));
    const pipeline = await device.createComputePipelineAsync({
      label: 'matmul',
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
    });
    this.device = device;
    this.pipeline = pipeline;
    this.epoch++;
    this._pool = { a: null, c: null, read: null };
    this._uniform = device.createBuffer({ label: 'dims', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    // The largest buffer (B, a chunk's A or C) a binding can take: what the server is told at registration.
    this.maxBufferBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    this.maxWorkgroups = device.limits.maxComputeWorkgroupsPerDimension;
    this.tile = config.tile;
    this.limitsReport = {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: al.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: al.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      workgroup: `${config.wg}×${config.wg}`, tile: config.tile, tileK: config.tileK,
    };
    device.addEventListener('uncapturederror', (e) => this._log('warn', 'WebGPU: ' + (e.error && e.error.message)));
    device.lost.then((lost) => {
      if (this.device !== device || this._destroyed) return;
      this.device = null;
      this.pipeline = null;
      this._log('warn', `GPU device lost (${lost.reason || 'unknown'}): ${lost.message || ''}`.trim());
      // Re-create right away so the next chunk does not wait for it.
      this._ready = this._init().then(() => {
        this._log('info', 'GPU device re-created');
      }, (e) => {
        this._log('warn', 'could not re-create the GPU device: ' + (e && e.message));
        throw e;
      });
      this._ready.catch(() => {});
      try { this._onLost(lost); } catch (e) { /* ignore */ }
    });
  }

  /** Waits for a usable device (re-creating a lost one). Throws when none can be had. */
  async ensureDevice() {
    if (this._destroyed) throw new Error('GPU engine destroyed');
    if (this.device) return this.device;
    if (!this._ready) {
      this._ready = this._init();
      this._ready.catch(() => {});
    }
    try {
      await this._ready;
    } finally {
      this._ready = null;
    }
    if (!this.device) throw new Error('GPU device unavailable');
    return this.device;
  }

  /** Uploads job.b (K×N) once; again only after a device loss. Concurrent calls share one upload. */
  uploadB(job) {
    if (job.gpuBuffer && job.gpuEpoch === this.epoch && this.device) return Promise.resolve();
    if (!job.gpuUploading) {
      job.gpuUploading = this._upload(job).finally(() => { job.gpuUploading = null; });
    }
    return job.gpuUploading;
  }

  async _upload(job) {
    const device = await this.ensureDevice();
    if (job.gpuBuffer && job.gpuEpoch === this.epoch) return;
    if (!job.b) throw new Error('B was released');
    const bytes = job.b.byteLength;
    if (bytes > this.maxBufferBytes) throw new Error(`B (${bytes} bytes) exceeds the GPU's buffer limit (${this.maxBufferBytes})`);
    const epoch = this.epoch;
    device.pushErrorScope('out-of-memory');
    const buffer = device.createBuffer({
      label: 'B',
      size: Math.max(4, bytes),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(buffer, 0, job.b.buffer, job.b.byteOffset, bytes);
    const oom = await device.popErrorScope();
    if (oom) {
      buffer.destroy();
      throw new Error('out of GPU memory for B: ' + oom.message);
    }
    if (!job.b || epoch !== this.epoch) { // released or device lost meanwhile
      buffer.destroy();
      if (!job.b) throw new Error('B was released');
      throw new Error('GPU device lost during the upload of B');
    }
    if (job.gpuBuffer) {
      try { job.gpuBuffer.destroy(); } catch (e) { /* old device */ }
    }
    job.gpuBuffer = buffer;
    job.gpuEpoch = epoch;
  }

  freeB(job) {
    if (job.gpuBuffer) {
      try { job.gpuBuffer.destroy(); } catch (e) { /* device gone */ }
    }
    job.gpuBuffer = null;
    job.gpuEpoch = -1;
  }

  _buffer(slot, size, usage, label) {
    const cur = this._pool[slot];
    if (cur && cur.size >= size && cur.epoch === this.epoch) return cur.buffer;
    if (cur) {
      try { cur.buffer.destroy(); } catch (e) { /* ignore */ }
    }
    const buffer = this.device.createBuffer({ label, size, usage });
    this._pool[slot] = { buffer, size, epoch: this.epoch };
    return buffer;
  }

  /**
   * C (M×N) = A (M×K) · B, with B = job.b (K×N) on the GPU.
   * @returns {Promise<Float32Array>}
   */
  async multiply(a, M, K, N, job) {
    const device = await this.ensureDevice();
    try {
      return await this._multiply(device, a, M, K, N, job);
    } catch (e) {
      // If the device is going, let its 'lost' handler run first, so the next
      // chunk waits for a new device instead of failing on the dead one.
      await Promise.race([device.lost, new Promise((r) => setTimeout(r, 50))]);
      throw e;
    }
  }

  async _multiply(device, a, M, K, N, job) {
    await this.uploadB(job);
    const aBytes = M * K * 4;
    const cBytes = M * N * 4;
    if (aBytes > this.maxBufferBytes || cBytes > this.maxBufferBytes) {
      throw new Error(`chunk too large for the GPU (A ${aBytes} bytes, C ${cBytes} bytes, limit ${this.maxBufferBytes})`);
    }
    const gx = Math.ceil(N / this.tile);
    const gy = Math.ceil(M / this.tile);
    if (gx > this.maxWorkgroups || gy > this.maxWorkgroups) {
      throw new Error(`chunk needs ${gx}×${gy} workgroups, more than ${this.maxWorkgroups} per dimension`);
    }

    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const aBuf = this._buffer('a', Math.max(4, aBytes), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, 'A');
    const cBuf = this._buffer('c', Math.max(4, cBytes), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'C');
    const readBuf = this._buffer('read', Math.max(4, cBytes), GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'C-read');
    device.queue.writeBuffer(aBuf, 0, a.buffer, a.byteOffset, aBytes);
    device.queue.writeBuffer(this._uniform, 0, new Uint32Array([M, N, K, 0]));
    const bindGroup = device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this._uniform } },
        { binding: 1, resource: { buffer: aBuf, size: Math.max(4, aBytes) } },
        { binding: 2, resource: { buffer: job.gpuBuffer, size: Math.max(4, K * N * 4) } },
        { binding: 3, resource: { buffer: cBuf, size: Math.max(4, cBytes) } },
      ],
    });
    const encoder = device.createCommandEncoder({ label: 'matmul' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy, 1);
    pass.end();
    encoder.copyBufferToBuffer(cBuf, 0, readBuf, 0, cBytes);
    device.queue.submit([encoder.finish()]);
    const [validation, oom] = [await device.popErrorScope(), await device.popErrorScope()];
    if (validation) throw new Error('WebGPU validation error: ' + validation.message);
    if (oom) throw new Error('out of GPU memory: ' + oom.message);

    await readBuf.mapAsync(GPUMapMode.READ, 0, cBytes);
    try {
      return new Float32Array(readBuf.getMappedRange(0, cBytes).slice(0));
    } finally {
      readBuf.unmap();
    }
  }

  /** Test hook: makes the device go away as a driver reset would. */
  simulateLoss() {
    if (this.device) this.device.destroy();
  }

  destroy() {
    this._destroyed = true;
    const d = this.device;
    this.device = null;
    if (d) d.destroy();
  }
}
GpuEngine.lastError = null;

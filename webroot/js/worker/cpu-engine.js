// CPU engine: C (M×N) = A (M×K) · B (K×N), row-major Float32Array.
//
// Cache-friendly i-k-j order: for each row i of A and each k, the whole row k
// of B (contiguous) is scaled by A[i,k] and added into a row accumulator.
// Four rows of A are processed together so each row of B, once loaded, feeds
// four accumulators. Accumulators are float64, so the CPU result is at least
// as accurate as the GPU's float32 sums.

export const CPU_MAX_BUFFER_BYTES = 1024 * 1024 * 1024; // 1 GiB per matrix, at most
const CPU_MIN_BUFFER_BYTES = 32 * 1024 * 1024;

/**
 * The largest matrix (B, or a chunk's A or C) the CPU engine takes, in bytes: a sixteenth of
 * the device's memory (navigator.deviceMemory, GiB, which browsers round and cap at 8; 4 when
 * unknown), between 32 MiB and 1 GiB. Every kernel thread holds its own copy of B.
 */
export function cpuMaxBufferBytes() {
  const gib = (globalThis.navigator && Number(navigator.deviceMemory)) || 4;
  const bytes = Math.floor((gib * 1024 * 1024 * 1024) / 16);
  return Math.max(CPU_MIN_BUFFER_BYTES, Math.min(CPU_MAX_BUFFER_BYTES, bytes));
}

export function cpuDescription() {
  const cores = (globalThis.navigator && navigator.hardwareConcurrency) || 0;
  return cores ? `CPU (JavaScript, ${cores} logical cores)` : 'CPU (JavaScript)';
}

/**
 * @param {Float32Array} a  M×K
 * @param {Float32Array} b  K×N
 * @param {number} M @param {number} K @param {number} N
 * @param {Float32Array} [out] M×N, allocated when absent
 * @returns {Float32Array} C
 */
export function multiplyCpu(a, b, M, K, N, out) {
  if (a.length < M * K || b.length < K * N) throw new RangeError('multiplyCpu: input smaller than its dimensions');
  const c = out || new Float32Array(M * N);
  const acc = new Float64Array(4 * N);
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    acc.fill(0);
    const a0 = i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let k = 0; k < K; k++) {
      const x0 = a[a0 + k], x1 = a[a1 + k], x2 = a[a2 + k], x3 = a[a3 + k];
      const bo = k * N;
      for (let j = 0; j < N; j++) {
        const bv = b[bo + j];
        acc[j] += x0 * bv;
        acc[N + j] += x1 * bv;
        acc[2 * N + j] += x2 * bv;
        acc[3 * N + j] += x3 * bv;
      }
    }
    const co = i * N;
    for (let j = 0; j < 4 * N; j++) c[co + j] = acc[j];
  }
  for (; i < M; i++) {
    const row = acc.subarray(0, N);
    row.fill(0);
    const ao = i * K;
    for (let k = 0; k < K; k++) {
      const x = a[ao + k];
      const bo = k * N;
      for (let j = 0; j < N; j++) row[j] += x * b[bo + j];
    }
    const co = i * N;
    for (let j = 0; j < N; j++) c[co + j] = row[j];
  }
  return c;
}

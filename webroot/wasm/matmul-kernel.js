// The CPU engine's WebAssembly kernel, as text: the flat WAT below is
// assembled into a module at page load by ./wasm-asm.js (ours, no third-party
// code). Nothing binary is stored in the repository.
//
//   gemm(M, N, K, a, b, c):  C += A·B over packed operands, float32, 128-bit SIMD
//
// Operands live in the imported memory, 16-byte aligned, byte addresses:
//   a: A packed in panels of MR rows: panel p holds rows p·MR..p·MR+MR-1 as
//      K groups of MR values (k-major), so the kernel reads A contiguously;
//   b: B packed in panels of NR = 4·NV columns: panel q holds K rows of NR values;
//   c: C, M×N row-major (N a multiple of NR, M a multiple of MR; the caller pads
//      A and B with zeros and drops the padding of C).
// The caller zeroes C first: the kernel adds into it.
//
// Blocking (GotoBLAS/BLIS order): K in blocks of KC, rows in blocks of MC; for
// each B micro-panel (KC×NR, stays in L1) every MR-row micro-panel of the A
// block (MC×KC, stays in L2) is multiplied by the register-tiled micro-kernel,
// which keeps an MR×NR block of C in MR·NV v128 locals and, per k, loads NV
// vectors of B, splats MR values of A and does MR·NV multiply-adds
// (f32x4.relaxed_madd where the browser has relaxed SIMD, else f32x4.mul and
// f32x4.add).

import { assemble } from './wasm-asm.js';

// Register tiles: with a fused multiply-add, 6×8 (12 accumulators, 2 B vectors, 1 splat: 15
// of x86-64's 16 vector registers, V8 keeps one for itself); without it each product needs
// a temporary, so 4×8. KC·NR floats of B (8 KiB) stay in L1, MC·KC of A (64-96 KiB) in L2.
export const DEFAULTS = Object.freeze({ mr: 4, nv: 2, kc: 256, mc: 64 });
export const DEFAULTS_RELAXED = Object.freeze({ mr: 6, nv: 2, kc: 256, mc: 96 });

const range = (n) => Array.from({ length: n }, (_, i) => i);

function microKernel({ mr, nv, relaxed }) {
  const nr = 4 * nv;
  const acc = (r, v) => `$acc${r}_${v}`;
  const lines = [];
  // zero the accumulators
  for (const r of range(mr)) for (const v of range(nv)) lines.push('v128.const i32x4 0 0 0 0', `local.set ${acc(r, v)}`);
  lines.push(
    'local.get $kl', 'local.set $kk',
    'local.get $ap', 'local.set $pa',
    'local.get $bp', 'local.set $pb',
    'loop $k',
  );
  for (const v of range(nv)) lines.push('local.get $pb', `v128.load offset=${16 * v}`, `local.set $b${v}`);
  for (const r of range(mr)) {
    lines.push('local.get $pa', `v128.load32_splat offset=${4 * r}`, 'local.set $x');
    for (const v of range(nv)) {
      if (relaxed) {
        lines.push('local.get $x', `local.get $b${v}`, `local.get ${acc(r, v)}`, 'f32x4.relaxed_madd');
      } else {
        lines.push(`local.get ${acc(r, v)}`, 'local.get $x', `local.get $b${v}`, 'f32x4.mul', 'f32x4.add');
      }
      lines.push(`local.set ${acc(r, v)}`);
    }
  }
  lines.push(
    `local.get $pa`, `i32.const ${4 * mr}`, 'i32.add', 'local.set $pa',
    `local.get $pb`, `i32.const ${4 * nr}`, 'i32.add', 'local.set $pb',
    'local.get $kk', 'i32.const 1', 'i32.sub', 'local.tee $kk',
    'br_if $k',
    'end',
  );
  // C block += accumulators, row by row
  lines.push('local.get $cp', 'local.set $pc');
  for (const r of range(mr)) {
    for (const v of range(nv)) {
      lines.push('local.get $pc', 'local.get $pc', `v128.load offset=${16 * v}`, `local.get ${acc(r, v)}`, 'f32x4.add',
        `v128.store offset=${16 * v}`);
    }
    if (r < mr - 1) lines.push('local.get $pc', 'local.get $ldc', 'i32.add', 'local.set $pc');
  }
  return lines.join('\n');
}

/** The flat WAT of gemm for the given register tile and blocking. */
export function gemmWat({ mr, nv, kc, mc, relaxed }) {
  const nr = 4 * nv;
  if (mc % mr !== 0) throw new Error('MC must be a multiple of MR');
  return `
    ;; ldc = N·4 bytes; panels of B = N / NR
    local.get $N  i32.const 2  i32.shl  local.set $ldc
    i32.const 0  local.set $k0
    loop $kblocks                       ;; k0 = 0, KC, 2·KC, ... < K
      ;; kl = min(KC, K - k0)
      local.get $K  local.get $k0  i32.sub  local.set $kl
      i32.const ${kc}  local.get $kl  local.get $kl  i32.const ${kc}  i32.gt_u  select  local.set $kl
      i32.const 0  local.set $i0
      loop $iblocks                     ;; i0 = 0, MC, ... < M
        ;; iend = min(i0 + MC, M)
        local.get $i0  i32.const ${mc}  i32.add  local.set $iend
        local.get $M  local.get $iend  local.get $iend  local.get $M  i32.gt_u  select  local.set $iend
        i32.const 0  local.set $j
        loop $panels                    ;; j = 0, NR, ... < N: one B micro-panel
          ;; bp = b + (j·K + k0·NR)·4
          local.get $b  local.get $j  local.get $K  i32.mul  local.get $k0  i32.const ${nr}  i32.mul  i32.add
          i32.const 2  i32.shl  i32.add  local.set $bp
          local.get $i0  local.set $i
          loop $rows                    ;; i = i0, i0+MR, ... < iend: one A micro-panel
            ;; ap = a + (i·K + k0·MR)·4;  cp = c + i·ldc + j·4
            local.get $a  local.get $i  local.get $K  i32.mul  local.get $k0  i32.const ${mr}  i32.mul  i32.add
            i32.const 2  i32.shl  i32.add  local.set $ap
            local.get $c  local.get $i  local.get $ldc  i32.mul  i32.add  local.get $j  i32.const 2  i32.shl  i32.add
            local.set $cp
${microKernel({ mr, nv, relaxed })}
            local.get $i  i32.const ${mr}  i32.add  local.tee $i  local.get $iend  i32.lt_u  br_if $rows
          end
          local.get $j  i32.const ${nr}  i32.add  local.tee $j  local.get $N  i32.lt_u  br_if $panels
        end
        local.get $i0  i32.const ${mc}  i32.add  local.tee $i0  local.get $M  i32.lt_u  br_if $iblocks
      end
      local.get $k0  i32.const ${kc}  i32.add  local.tee $k0  local.get $K  i32.lt_u  br_if $kblocks
    end`;
}

/** The gemm module's bytes. Options: {mr, nv, kc, mc, relaxed}. */
export function buildGemm(options = {}) {
  const o = { ...DEFAULTS, relaxed: false, ...options };
  const accs = [];
  for (const r of range(o.mr)) for (const v of range(o.nv)) accs.push(`$acc${r}_${v}`);
  return assemble({
    memory: { module: 'env', name: 'memory' },
    funcs: [{
      name: 'gemm', export: true,
      params: ['$M', '$N', '$K', '$a', '$b', '$c'],
      locals: {
        i32: ['$ldc', '$k0', '$kl', '$i0', '$iend', '$j', '$i', '$ap', '$bp', '$cp', '$kk', '$pa', '$pb', '$pc'],
        v128: [...accs, ...range(o.nv).map((v) => `$b${v}`), '$x'],
      },
      body: gemmWat(o),
    }],
  });
}

// Feature probes: the smallest modules using one v128 instruction, and one relaxed one.
export function simdProbe() {
  return assemble({ funcs: [{ name: 'p', params: [], locals: { v128: ['$v'] },
    body: 'v128.const i32x4 0 0 0 0\nlocal.get $v\nf32x4.add\nlocal.set $v' }] });
}

export function relaxedProbe() {
  return assemble({ funcs: [{ name: 'p', params: [], locals: { v128: ['$v'] },
    body: 'local.get $v\nlocal.get $v\nlocal.get $v\nf32x4.relaxed_madd\nlocal.set $v' }] });
}

/** What this browser's WebAssembly can run: {simd, relaxed}. */
export function wasmFeatures() {
  const W = globalThis.WebAssembly;
  if (!W || typeof W.validate !== 'function') return { simd: false, relaxed: false };
  const simd = safeValidate(simdProbe());
  return { simd, relaxed: simd && safeValidate(relaxedProbe()) };
}

function safeValidate(bytes) {
  try {
    return WebAssembly.validate(bytes);
  } catch (e) {
    return false;
  }
}

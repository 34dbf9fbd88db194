// Distributed Brain: C (M×N) = A (M×K) · B (K×N), row-major float32.
//
// Each workgroup of WG×WG invocations computes one TILE×TILE tile of C
// (TILE = 4·WG); each invocation accumulates a 4×4 block of it in registers
// (rows ly + WG·i, columns lx + WG·j, so neighbouring invocations touch
// neighbouring columns and global loads/stores stay coalesced). K is walked in
// steps of TILE_K through two workgroup tiles: As (TILE×TILE_K) and Bs
// (TILE_K×TILE), 2·TILE·TILE_K·4 bytes together.
//
// WG and TILE_K are chosen from the adapter's limits by gpu-engine.js, which
// rewrites the two `const` lines marked "sized by gpu-engine.js" before
// compiling (defaults: 16 and 16, i.e. 256 invocations and 8 KiB, within
// WebGPU's default limits). TILE·TILE_K must be a multiple of WG·WG.
//
// Any sizes work: every load outside A or B reads 0 and every store outside C
// is skipped. Dispatch (ceil(N/TILE), ceil(M/TILE), 1) workgroups.

struct Dims {
  M : u32,
  N : u32,
  K : u32,
  _pad : u32,
}

@group(0) @binding(0) var<uniform> dims : Dims;
@group(0) @binding(1) var<storage, read> A : array<f32>;
@group(0) @binding(2) var<storage, read> B : array<f32>;
@group(0) @binding(3) var<storage, read_write> C : array<f32>;

const WG : u32 = 16u;      // sized by gpu-engine.js
const TILE_K : u32 = 16u;  // sized by gpu-engine.js
const TILE_M : u32 = 4u * WG;
const TILE_N : u32 = 4u * WG;
const THREADS : u32 = WG * WG;
const LOADS : u32 = (TILE_M * TILE_K) / THREADS; // elements of each tile loaded per invocation

var<workgroup> As : array<f32, TILE_M * TILE_K>; // [row * TILE_K + k],  TILE_M × TILE_K
var<workgroup> Bs : array<f32, TILE_K * TILE_N>; // [k * TILE_N + col],  TILE_K × TILE_N

@compute @workgroup_size(WG, WG, 1)
fn main(@builtin(workgroup_id) wg : vec3<u32>,
        @builtin(local_invocation_id) lid : vec3<u32>,
        @builtin(local_invocation_index) lidx : u32) {
  let M = dims.M;
  let N = dims.N;
  let K = dims.K;
  let rowBase = wg.y * TILE_M;
  let colBase = wg.x * TILE_N;
  let lx = lid.x;
  let ly = lid.y;

  var acc : array<vec4<f32>, 4>; // acc[i][j] = C[rowBase + ly + WG·i][colBase + lx + WG·j]
  for (var i = 0u; i < 4u; i++) {
    acc[i] = vec4<f32>(0.0);
  }

  let tiles = (K + TILE_K - 1u) / TILE_K;
  for (var t = 0u; t < tiles; t++) {
    let k0 = t * TILE_K;

    // Cooperative, bounds-checked loads of both tiles.
    for (var l = 0u; l < LOADS; l++) {
      let e = lidx + l * THREADS;

      let ar = rowBase + e / TILE_K;
      let ak = k0 + e % TILE_K;
      var av = 0.0;
      if (ar < M && ak < K) {
        av = A[ar * K + ak];
      }
      As[e] = av;

      let bk = k0 + e / TILE_N;
      let bc = colBase + e % TILE_N;
      var bv = 0.0;
      if (bk < K && bc < N) {
        bv = B[bk * N + bc];
      }
      Bs[e] = bv;
    }
    workgroupBarrier();

    for (var k = 0u; k < TILE_K; k++) {
      let b = vec4<f32>(Bs[k * TILE_N + lx],
                        Bs[k * TILE_N + lx + WG],
                        Bs[k * TILE_N + lx + 2u * WG],
                        Bs[k * TILE_N + lx + 3u * WG]);
      acc[0] = fma(vec4<f32>(As[(ly)          * TILE_K + k]), b, acc[0]);
      acc[1] = fma(vec4<f32>(As[(ly + WG)     * TILE_K + k]), b, acc[1]);
      acc[2] = fma(vec4<f32>(As[(ly + 2u * WG) * TILE_K + k]), b, acc[2]);
      acc[3] = fma(vec4<f32>(As[(ly + 3u * WG) * TILE_K + k]), b, acc[3]);
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let r = rowBase + ly + i * WG;
    if (r < M) {
      let v = acc[i];
      for (var j = 0u; j < 4u; j++) {
        let c = colBase + lx + j * WG;
        if (c < N) {
          C[r * N + c] = v[j];
        }
      }
    }
  }
}

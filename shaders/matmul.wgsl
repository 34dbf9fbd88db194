// Distributed Brain: C (M×N) = A (M×K) · B (K×N), row-major float32.
//
// Each workgroup of 16×16 invocations computes one 64×64 tile of C; each
// invocation accumulates a 4×4 block of it in registers (rows ly + 16·i,
// columns lx + 16·j, so neighbouring invocations touch neighbouring columns
// and global loads/stores stay coalesced). K is walked in steps of 16 through
// two workgroup tiles: As (64×16) and Bs (16×64), 8 KiB together.
//
// Any sizes work: every load outside A or B reads 0 and every store outside C
// is skipped. Dispatch (ceil(N/64), ceil(M/64), 1) workgroups.
// Within WebGPU's default limits: 256 invocations, 8 KiB of workgroup storage.

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

const TILE_M : u32 = 64u;
const TILE_N : u32 = 64u;
const TILE_K : u32 = 16u;
const THREADS : u32 = 256u;                      // 16 × 16
const LOADS : u32 = (TILE_M * TILE_K) / THREADS; // 4 elements of each tile per invocation

var<workgroup> As : array<f32, 1024>; // [row * TILE_K + k],  TILE_M × TILE_K
var<workgroup> Bs : array<f32, 1024>; // [k * TILE_N + col],  TILE_K × TILE_N

@compute @workgroup_size(16, 16, 1)
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

  var acc : array<vec4<f32>, 4>; // acc[i][j] = C[rowBase + ly + 16i][colBase + lx + 16j]
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
                        Bs[k * TILE_N + lx + 16u],
                        Bs[k * TILE_N + lx + 32u],
                        Bs[k * TILE_N + lx + 48u]);
      acc[0] = fma(vec4<f32>(As[(ly)       * TILE_K + k]), b, acc[0]);
      acc[1] = fma(vec4<f32>(As[(ly + 16u) * TILE_K + k]), b, acc[1]);
      acc[2] = fma(vec4<f32>(As[(ly + 32u) * TILE_K + k]), b, acc[2]);
      acc[3] = fma(vec4<f32>(As[(ly + 48u) * TILE_K + k]), b, acc[3]);
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let r = rowBase + ly + i * 16u;
    if (r < M) {
      let v = acc[i];
      for (var j = 0u; j < 4u; j++) {
        let c = colBase + lx + j * 16u;
        if (c < N) {
          C[r * N + c] = v[j];
        }
      }
    }
  }
}

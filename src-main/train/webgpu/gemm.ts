/**
 * The tiled GEMM every convolution is written as (implicit GEMM: the
 * operands are gathered from the tensors by index functions, never
 * materialized). C[M x N] = A[M x K] * B[K x N]; a workgroup of 16 x 16
 * threads computes a TILE_M x TILE_N block of C, each thread a
 * THREAD_M x THREAD_N sub-block, staging TILE_K-deep slices of A and B in
 * workgroup memory. The grid's z axis splits K (split-K): slice z writes its
 * partial sum through `store(m, n, z, v)`, so a short, wide GEMM (a filter
 * gradient, whose K is batch x height x width) still fills the GPU.
 */

export const TILE_M = 64;
export const TILE_N = 64;
export const TILE_K = 16;
export const THREADS_M = 16;
export const THREADS_N = 16;
const THREAD_M = TILE_M / THREADS_M;
const THREAD_N = TILE_N / THREADS_N;
const THREADS = THREADS_M * THREADS_N;

export interface GemmOperands {
  /** WGSL u32 expressions for the sizes (may read `dims.n`, the step's batch). */
  M: string;
  N: string;
  K: string;
  /** WGSL defining `fn loadA(m: u32, k: u32) -> f32`, `fn loadB(k: u32, n: u32) -> f32`, `fn store(m: u32, n: u32, z: u32, v: f32)`. */
  functions: string;
  /** Which index of A (and of B) is contiguous in memory: neighbouring threads load neighbours. */
  aContiguous: 'm' | 'k';
  bContiguous: 'k' | 'n';
}

/** Workgroups for a GEMM of M x N split `splitK` ways. */
export function gemmGroups(M: number, N: number, splitK = 1): [number, number, number] {
  return [Math.ceil(N / TILE_N), Math.ceil(M / TILE_M), splitK];
}

function tileIndex(contiguous: boolean, rows: number, e: string, kName: string, oName: string): string {
  // Element e of a TILE_K x rows slice; `contiguous` means k runs fastest across threads.
  return contiguous
    ? `let ${kName} = ${e} % ${TILE_K}u; let ${oName} = ${e} / ${TILE_K}u;`
    : `let ${oName} = ${e} % ${rows}u; let ${kName} = ${e} / ${rows}u;`;
}

export function gemmBody(op: GemmOperands): string {
  const loads = (TILE_M * TILE_K) / THREADS;
  return `${op.functions}
var<workgroup> tileA: array<f32, ${TILE_K * TILE_M}>;
var<workgroup> tileB: array<f32, ${TILE_K * TILE_N}>;

@compute @workgroup_size(${THREADS_N}, ${THREADS_M})
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let M = ${op.M};
  let N = ${op.N};
  let K = ${op.K};
  let m0 = wid.y * ${TILE_M}u;
  let n0 = wid.x * ${TILE_N}u;
  let kPer = ((K + nwg.z - 1u) / nwg.z + ${TILE_K - 1}u) / ${TILE_K}u * ${TILE_K}u;
  let kBegin = wid.z * kPer;
  let kEnd = min(K, kBegin + kPer);
  let tid = lid.y * ${THREADS_N}u + lid.x;
  var acc: array<f32, ${THREAD_M * THREAD_N}>;
  for (var k0 = kBegin; k0 < kEnd; k0 += ${TILE_K}u) {
    for (var i = 0u; i < ${loads}u; i++) {
      let e = tid + i * ${THREADS}u;
      ${tileIndex(op.aContiguous === 'k', TILE_M, 'e', 'ka', 'ma')}
      var a = 0.0;
      if (m0 + ma < M && k0 + ka < kEnd) { a = loadA(m0 + ma, k0 + ka); }
      tileA[ka * ${TILE_M}u + ma] = a;
      ${tileIndex(op.bContiguous === 'k', TILE_N, 'e', 'kb', 'nb')}
      var b = 0.0;
      if (n0 + nb < N && k0 + kb < kEnd) { b = loadB(k0 + kb, n0 + nb); }
      tileB[kb * ${TILE_N}u + nb] = b;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TILE_K}u; kk++) {
      var av: array<f32, ${THREAD_M}>;
      var bv: array<f32, ${THREAD_N}>;
      for (var r = 0u; r < ${THREAD_M}u; r++) { av[r] = tileA[kk * ${TILE_M}u + r * ${THREADS_M}u + lid.y]; }
      for (var c = 0u; c < ${THREAD_N}u; c++) { bv[c] = tileB[kk * ${TILE_N}u + c * ${THREADS_N}u + lid.x]; }
      for (var r = 0u; r < ${THREAD_M}u; r++) {
        for (var c = 0u; c < ${THREAD_N}u; c++) {
          acc[r * ${THREAD_N}u + c] = fma(av[r], bv[c], acc[r * ${THREAD_N}u + c]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < ${THREAD_M}u; r++) {
    for (var c = 0u; c < ${THREAD_N}u; c++) {
      let m = m0 + r * ${THREADS_M}u + lid.y;
      let n = n0 + c * ${THREADS_N}u + lid.x;
      if (m < M && n < N) { store(m, n, wid.z, acc[r * ${THREAD_N}u + c]); }
    }
  }
}
`;
}

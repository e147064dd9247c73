/**
 * Gradient of a convolution with respect to its filter, batch folded into
 * the reduction: dw[K*K*CI, CO] = im2col(x)^T[K*K*CI, N*OH*OW] * dy[N*OH*OW, CO].
 * M and N are small and K is huge, so the reduction is split `splitK` ways
 * (grid z); slice z writes gradient slot z of the flat gradient buffer
 * ([GRAD_SLOTS, params]) and Adam sums the slots. (tfjs-webgpu 4.22 runs one
 * thread per filter weight over the whole batch: DESIGN.md section 4.)
 */
import { convUniform, GATHER_X, type ConvGeometry, type ConvInput } from './conv-shape.js';
import { gemmBody, gemmGroups, TILE_M, TILE_N } from './gemm.js';
import type { KernelSource } from './kernel.js';

/** Reduction length per split slice below which splitting costs more than it gains. */
export const MIN_K_PER_SPLIT = 1024;
/** Workgroups that keep a large GPU busy (an H200 has 132 SMs, two workgroups each). */
export const TARGET_WORKGROUPS = 264;

/** How many ways to split the reduction for at most `maxBatch` images, within `slots`. */
export function filterGradSplit(g: ConvGeometry, maxBatch: number, slots: number): number {
  const tiles = Math.ceil(g.weights / g.CO / TILE_M) * Math.ceil(g.CO / TILE_N);
  const byWork = Math.floor((maxBatch * g.OH * g.OW) / MIN_K_PER_SPLIT);
  return Math.max(1, Math.min(slots, byWork, Math.ceil(TARGET_WORKGROUPS / tiles)));
}

/**
 * Bindings: x (NHWC input; f16 in the f16 variant), dy (NHWC output gradient, always f32: a
 * gradient's small values would underflow f16 without loss scaling), grads (flat, `slotStride` floats
 * per slot; this filter's gradient at `gradOffset`).
 */
export function convFilterGrad(
  g: ConvGeometry,
  gradOffset: number,
  slotStride: number,
  splitK: number,
  io: ConvInput = {},
): KernelSource {
  const body = gemmBody({
    M: 'shape.K * shape.K * shape.CI',
    N: 'shape.CO',
    K: 'dims.n * shape.OH * shape.OW',
    aContiguous: 'm',
    bContiguous: 'n',
    functions: `${GATHER_X}
fn loadA(m: u32, k: u32) -> f32 { return gatherX(k, m); }
fn loadB(k: u32, n: u32) -> f32 { return dy[k * shape.CO + n]; }
fn store(m: u32, n: u32, z: u32, v: f32) { grads[z * shape.SLOT + shape.G_OFF + m * shape.CO + n] = v; }`,
  });
  return {
    label: `conv${g.K}x${g.K}/${g.stride} ${g.CI}->${g.CO} filter grad x${splitK}`,
    bindings: [
      { name: 'x', access: 'read', elem: io.image ? 'f32' : 'act' },
      { name: 'dy', access: 'read' },
      { name: 'grads', access: 'rw' },
    ],
    body,
    act: io.act,
    shape: convUniform(g, { G_OFF: gradOffset, SLOT: slotStride }),
    groups: () => gemmGroups(g.weights / g.CO, g.CO, splitK),
  };
}

/**
 * Convolution forward as an implicit GEMM with the batch folded into M:
 * y[M = N*OH*OW, CO] = im2col(x)[M, K*K*CI] * w[K*K*CI, CO]. The filter is
 * read in place from the flat parameter buffer, so y comes out NHWC.
 */
import { convUniform, GATHER_X, type ConvGeometry } from './conv-shape.js';
import { gemmBody, gemmGroups } from './gemm.js';
import type { KernelSource } from './kernel.js';

/** Bindings: x (NHWC), params (flat; the filter at `weightOffset`), y (NHWC). */
export function convForward(g: ConvGeometry, weightOffset: number): KernelSource {
  const body = gemmBody({
    M: 'dims.n * shape.OH * shape.OW',
    N: 'shape.CO',
    K: 'shape.K * shape.K * shape.CI',
    aContiguous: 'k',
    bContiguous: 'n',
    functions: `${GATHER_X}
fn loadA(m: u32, k: u32) -> f32 { return gatherX(m, k); }
fn loadB(k: u32, n: u32) -> f32 { return params[shape.W_OFF + k * shape.CO + n]; }
fn store(m: u32, n: u32, z: u32, v: f32) { y[m * shape.CO + n] = v; }`,
  });
  return {
    label: `conv${g.K}x${g.K}/${g.stride} ${g.CI}->${g.CO} at ${g.H}x${g.W}`,
    bindings: [
      { name: 'x', access: 'read' },
      { name: 'params', access: 'read' },
      { name: 'y', access: 'rw' },
    ],
    body,
    shape: convUniform(g, { W_OFF: weightOffset }),
    groups: (n) => gemmGroups(n * g.OH * g.OW, g.CO),
  };
}

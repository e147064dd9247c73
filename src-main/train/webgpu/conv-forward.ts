/**
 * Convolution forward as an implicit GEMM with the batch folded into M:
 * y[M = N*OH*OW, CO] = im2col(x)[M, K*K*CI] * w[K*K*CI, CO]. The filter is
 * read in place from the flat parameter buffer, so y comes out NHWC.
 */
import { convUniform, GATHER_X, type ConvGeometry, type ConvInput } from './conv-shape.js';
import { gemmBody, gemmGroups } from './gemm.js';
import type { KernelSource } from './kernel.js';

/**
 * Bindings: x (NHWC), params (flat; the filter at `weightOffset`), y (NHWC). In the f16 variant x and y
 * are f16 in memory and widened to f32 as they are staged into the tiles: the products and the
 * K-long sums stay f32, so only storage rounds (one f16 rounding per value).
 */
export function convForward(g: ConvGeometry, weightOffset: number, io: ConvInput = {}): KernelSource {
  const body = gemmBody({
    M: 'dims.n * shape.OH * shape.OW',
    N: 'shape.CO',
    K: 'shape.K * shape.K * shape.CI',
    aContiguous: 'k',
    bContiguous: 'n',
    functions: `${GATHER_X}
fn loadA(m: u32, k: u32) -> f32 { return gatherX(m, k); }
fn loadB(k: u32, n: u32) -> f32 { return params[shape.W_OFF + k * shape.CO + n]; }
fn store(m: u32, n: u32, z: u32, v: f32) { y[m * shape.CO + n] = toAct(v); }`,
  });
  return {
    label: `conv${g.K}x${g.K}/${g.stride} ${g.CI}->${g.CO} at ${g.H}x${g.W}`,
    bindings: [
      { name: 'x', access: 'read', elem: io.image ? 'f32' : 'act' },
      { name: 'params', access: 'read' },
      { name: 'y', access: 'rw', elem: 'act' },
    ],
    body,
    act: io.act,
    shape: convUniform(g, { W_OFF: weightOffset }),
    groups: (n) => gemmGroups(n * g.OH * g.OW, g.CO),
  };
}

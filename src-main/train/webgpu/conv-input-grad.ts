/**
 * Gradient of a convolution with respect to its input, as an implicit GEMM
 * over input positions: dx[N*H*W, CI] = dy~[N*H*W, K*K*CO] * w~[K*K*CO, CI],
 * where dy~ gathers, for input pixel (ih, iw) and tap (kh, kw), the output
 * pixel ((ih + pad - kh) / stride) when that division is exact, and w~ is the
 * filter read transposed in place. With stride 2 three taps in four are
 * zero; the downsampling layers are few, so this stays one kernel.
 */
import { convUniform, type ConvGeometry } from './conv-shape.js';
import { gemmBody, gemmGroups } from './gemm.js';
import type { KernelSource } from './kernel.js';

/**
 * Bindings: dy (NHWC of the output), params (the filter at `weightOffset`), dx (NHWC of the input).
 * `accumulate` adds to dx instead of overwriting it (a block input that also feeds the shortcut).
 */
export function convInputGrad(g: ConvGeometry, weightOffset: number, accumulate: boolean): KernelSource {
  const body = gemmBody({
    M: 'dims.n * shape.H * shape.W',
    N: 'shape.CI',
    K: 'shape.K * shape.K * shape.CO',
    aContiguous: 'k',
    bContiguous: 'k',
    functions: `fn loadA(m: u32, k: u32) -> f32 {
  let img = m / (shape.H * shape.W);
  let r = m % (shape.H * shape.W);
  let co = k % shape.CO;
  let kk = k / shape.CO;
  let sh = i32(r / shape.W) + i32(shape.PT) - i32(kk / shape.K);
  let sw = i32(r % shape.W) + i32(shape.PL) - i32(kk % shape.K);
  if (sh < 0 || sw < 0) { return 0.0; }
  let oh = u32(sh) / shape.S;
  let ow = u32(sw) / shape.S;
  if (u32(sh) % shape.S != 0u || u32(sw) % shape.S != 0u || oh >= shape.OH || ow >= shape.OW) { return 0.0; }
  return dy[((img * shape.OH + oh) * shape.OW + ow) * shape.CO + co];
}
fn loadB(k: u32, n: u32) -> f32 { return params[shape.W_OFF + ((k / shape.CO) * shape.CI + n) * shape.CO + k % shape.CO]; }
fn store(m: u32, n: u32, z: u32, v: f32) { dx[m * shape.CI + n] = v${accumulate ? ' + dx[m * shape.CI + n]' : ''}; }`,
  });
  return {
    label: `conv${g.K}x${g.K}/${g.stride} ${g.CI}->${g.CO} input grad${accumulate ? ' (accumulate)' : ''}`,
    bindings: [
      { name: 'dy', access: 'read' },
      { name: 'params', access: 'read' },
      { name: 'dx', access: 'rw' },
    ],
    body,
    shape: convUniform(g, { W_OFF: weightOffset }),
    groups: (n) => gemmGroups(n * g.H * g.W, g.CI),
  };
}

import type { ActStorage, ShapeUniform } from './kernel.js';
/**
 * Shape math of a 2-D convolution with tfjs' 'same' padding (NHWC
 * activations, filters [KH, KW, CI, CO]), in one place for the three
 * convolution kernels and the plan.
 */

export interface ConvShape {
  H: number;
  W: number;
  CI: number;
  CO: number;
  /** Square kernel side. */
  K: number;
  stride: number;
}

export interface ConvGeometry extends ConvShape {
  OH: number;
  OW: number;
  padTop: number;
  padLeft: number;
  /** Filter weights: K * K * CI * CO. */
  weights: number;
}

/** tfjs 'same': out = ceil(in / stride), the odd padding pixel goes to the bottom/right. */
export function convGeometry(s: ConvShape): ConvGeometry {
  for (const [k, v] of Object.entries(s))
    if (!Number.isInteger(v) || v < 1) throw new Error(`convolution ${k} must be a positive integer, got ${v}`);
  const OH = Math.ceil(s.H / s.stride);
  const OW = Math.ceil(s.W / s.stride);
  const padH = Math.max((OH - 1) * s.stride + s.K - s.H, 0);
  const padW = Math.max((OW - 1) * s.stride + s.K - s.W, 0);
  return {
    ...s,
    OH,
    OW,
    padTop: Math.floor(padH / 2),
    padLeft: Math.floor(padW / 2),
    weights: s.K * s.K * s.CI * s.CO,
  };
}

/** Shape uniform fields of a convolution, plus the kernel's own (offsets into flat buffers). */
export function convUniform(g: ConvGeometry, extra: Record<string, number> = {}): ShapeUniform {
  const base: Record<string, number> = {
    H: g.H,
    W: g.W,
    CI: g.CI,
    CO: g.CO,
    K: g.K,
    S: g.stride,
    OH: g.OH,
    OW: g.OW,
    PT: g.padTop,
    PL: g.padLeft,
    ...extra,
  };
  return { fields: Object.keys(base), values: Object.values(base) };
}

/** How a convolution's input is stored: the network's images stay f32; activations are `act`. */
export interface ConvInput {
  /** How activations (x, and y of the forward) are stored: f16 in the f16 variant. */
  act?: ActStorage;
  /** x is the input batch (f32 whatever the variant). */
  image?: boolean;
}

/**
 * x at (output position p = (image, oh, ow), filter tap t = (kh, kw, ci)), zero in the padding:
 * the implicit im2col matrix of the forward convolution and of the filter gradient.
 */
export const GATHER_X = `fn gatherX(p: u32, t: u32) -> f32 {
  let img = p / (shape.OH * shape.OW);
  let r = p % (shape.OH * shape.OW);
  let ci = t % shape.CI;
  let kk = t / shape.CI;
  let ih = i32((r / shape.OW) * shape.S + kk / shape.K) - i32(shape.PT);
  let iw = i32((r % shape.OW) * shape.S + kk % shape.K) - i32(shape.PL);
  if (ih < 0 || iw < 0 || ih >= i32(shape.H) || iw >= i32(shape.W)) { return 0.0; }
  return f32(x[((img * shape.H + u32(ih)) * shape.W + u32(iw)) * shape.CI + ci]);
}`;

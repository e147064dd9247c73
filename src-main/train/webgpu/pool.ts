/**
 * Pooling: the stem's max-pool (3x3, stride 2, tfjs 'same' padding) with its
 * gradient, and the global average pool before the heads with its
 * gradient. The max-pool records which tap won (the first maximum in row-major
 * order, as the tfjs cpu backend picks it: after a ReLU whole windows tie at
 * 0), and its gradient gathers over the outputs whose window covers a pixel,
 * so no two threads write one place.
 */
import { convGeometry } from './conv-shape.js';
import { grid1d, linearMain, type ActStorage, type KernelSource } from './kernel.js';

export interface PoolShape {
  H: number;
  W: number;
  C: number;
  /** Window side and stride. */
  K: number;
  stride: number;
}

export function poolGeometry(p: PoolShape) {
  const g = convGeometry({ H: p.H, W: p.W, CI: p.C, CO: p.C, K: p.K, stride: p.stride });
  return { ...p, OH: g.OH, OW: g.OW, padTop: g.padTop, padLeft: g.padLeft };
}
type PoolGeometry = ReturnType<typeof poolGeometry>;

const poolUniform = (g: PoolGeometry) => ({
  fields: ['H', 'W', 'C', 'K', 'S', 'OH', 'OW', 'PT', 'PL'],
  values: [g.H, g.W, g.C, g.K, g.stride, g.OH, g.OW, g.padTop, g.padLeft],
});

/** Bindings: x, out (activations, stored as `act` says), arg (u32: the winning tap kh * K + kw). */
export function maxPoolForward(g: PoolGeometry, act: ActStorage = 'f32'): KernelSource {
  return {
    label: `maxPool ${g.K}x${g.K}/${g.stride}`,
    act,
    bindings: [
      { name: 'x', access: 'read', elem: 'act' },
      { name: 'out', access: 'rw', elem: 'act' },
      { name: 'arg', access: 'rw', elem: 'u32' },
    ],
    shape: poolUniform(g),
    groups: (n) => grid1d(n * g.OH * g.OW * g.C),
    body: linearMain(
      'dims.n * shape.OH * shape.OW * shape.C',
      `let c = i % shape.C;
  let p = i / shape.C;
  let ow = p % shape.OW;
  let oh = (p / shape.OW) % shape.OH;
  let img = p / (shape.OW * shape.OH);
  var best = -3.0e38;
  var tap = 0u;
  for (var kh = 0u; kh < shape.K; kh++) {
    let ih = i32(oh * shape.S + kh) - i32(shape.PT);
    if (ih < 0 || ih >= i32(shape.H)) { continue; }
    for (var kw = 0u; kw < shape.K; kw++) {
      let iw = i32(ow * shape.S + kw) - i32(shape.PL);
      if (iw < 0 || iw >= i32(shape.W)) { continue; }
      let v = f32(x[((img * shape.H + u32(ih)) * shape.W + u32(iw)) * shape.C + c]);
      if (v > best) { best = v; tap = kh * shape.K + kw; }
    }
  }
  out[i] = toAct(best);
  arg[i] = tap;`,
    ),
  };
}

/** Bindings: dout, arg, dx. */
export function maxPoolBackward(g: PoolGeometry): KernelSource {
  return {
    label: `maxPoolGrad ${g.K}x${g.K}/${g.stride}`,
    bindings: [
      { name: 'dout', access: 'read' },
      { name: 'arg', access: 'read', elem: 'u32' },
      { name: 'dx', access: 'rw' },
    ],
    shape: poolUniform(g),
    groups: (n) => grid1d(n * g.H * g.W * g.C),
    body: linearMain(
      'dims.n * shape.H * shape.W * shape.C',
      `let c = i % shape.C;
  let p = i / shape.C;
  let iw = i32(p % shape.W) + i32(shape.PL);
  let ih = i32((p / shape.W) % shape.H) + i32(shape.PT);
  let img = p / (shape.W * shape.H);
  var sum = 0.0;
  // Outputs whose window [o * S, o * S + K) (in padded coordinates) holds this pixel.
  let ohLo = max(ih - i32(shape.K) + i32(shape.S), 0) / i32(shape.S);
  let owLo = max(iw - i32(shape.K) + i32(shape.S), 0) / i32(shape.S);
  for (var oh = ohLo; oh <= ih / i32(shape.S) && oh < i32(shape.OH); oh++) {
    let kh = ih - oh * i32(shape.S);
    if (kh >= i32(shape.K)) { continue; }
    for (var ow = owLo; ow <= iw / i32(shape.S) && ow < i32(shape.OW); ow++) {
      let kw = iw - ow * i32(shape.S);
      if (kw >= i32(shape.K)) { continue; }
      let o = ((img * shape.OH + u32(oh)) * shape.OW + u32(ow)) * shape.C + c;
      if (arg[o] == u32(kh) * shape.K + u32(kw)) { sum += dout[o]; }
    }
  }
  dx[i] = sum;`,
    ),
  };
}

/** Bindings: x (NHWC, stored as `act` says), pooled ([N, C], f32). HW = pixels per image. */
export function avgPoolForward(HW: number, C: number, act: ActStorage = 'f32'): KernelSource {
  return {
    label: `avgPool`,
    act,
    bindings: [
      { name: 'x', access: 'read', elem: 'act' },
      { name: 'pooled', access: 'rw' },
    ],
    shape: { fields: ['HW', 'C'], values: [HW, C] },
    groups: (n) => grid1d(n * C),
    body: linearMain(
      'dims.n * shape.C',
      `let c = i % shape.C;
  let base = (i / shape.C) * shape.HW * shape.C + c;
  var s = 0.0;
  for (var p = 0u; p < shape.HW; p++) { s += f32(x[base + p * shape.C]); }
  pooled[i] = s / f32(shape.HW);`,
    ),
  };
}

/** Bindings: dpooled ([N, C]), dx (NHWC). */
export function avgPoolBackward(HW: number, C: number): KernelSource {
  return {
    label: `avgPoolGrad`,
    bindings: [
      { name: 'dpooled', access: 'read' },
      { name: 'dx', access: 'rw' },
    ],
    shape: { fields: ['HW', 'C'], values: [HW, C] },
    groups: (n) => grid1d(n * HW * C),
    body: linearMain(
      'dims.n * shape.HW * shape.C',
      `let c = i % shape.C;
  let img = i / (shape.HW * shape.C);
  dx[i] = dpooled[img * shape.C + c] / f32(shape.HW);`,
    ),
  };
}

/**
 * The three dense heads (root, vowel, consonant) on the pooled features,
 * their softmax cross-entropy (tf.losses.softmaxCrossEntropy: the mean over
 * the batch, then weighted and summed over the heads) and the gradients.
 * The logits of the three heads sit side by side in one [N, J0 + J1 + J2]
 * buffer; each head's kernel [C, Jh] and bias are at their own offsets of
 * the flat parameter buffer.
 */
import { f32Bits, grid1d, linearMain, type KernelSource } from './kernel.js';

export interface HeadsShape {
  /** Pooled features. */
  C: number;
  classes: readonly [number, number, number];
  /** Offsets in the flat parameter (and gradient) buffer. */
  kernels: readonly [number, number, number];
  biases: readonly [number, number, number];
  lossWeights: readonly [number, number, number];
}

/** Threads of the one-workgroup loss kernel. */
export const LOSS_THREADS = 256;

const total = (h: HeadsShape) => h.classes[0] + h.classes[1] + h.classes[2];

function headsUniform(h: HeadsShape) {
  return {
    fields: ['C', 'J', 'J0', 'J1', 'J2', 'W0', 'W1', 'W2', 'B0', 'B1', 'B2', 'LW0', 'LW1', 'LW2'],
    values: [h.C, total(h), ...h.classes, ...h.kernels, ...h.biases, ...h.lossWeights.map(f32Bits)],
  };
}

/** WGSL: which head a logit column j belongs to: (head, column within it, its kernel, its bias). */
const HEAD_OF = `fn headOf(j: u32) -> vec4u {
  if (j < shape.J0) { return vec4u(0u, j, shape.W0, shape.B0); }
  if (j < shape.J0 + shape.J1) { return vec4u(1u, j - shape.J0, shape.W1, shape.B1); }
  return vec4u(2u, j - shape.J0 - shape.J1, shape.W2, shape.B2);
}
fn classesOf(h: u32) -> u32 { return select(select(shape.J2, shape.J1, h == 1u), shape.J0, h == 0u); }
fn lossWeight(h: u32) -> f32 { return bitcast<f32>(select(select(shape.LW2, shape.LW1, h == 1u), shape.LW0, h == 0u)); }
fn startOf(h: u32) -> u32 { return select(select(shape.J0 + shape.J1, shape.J0, h == 1u), 0u, h == 0u); }`;

/** Bindings: pooled [N, C], params, logits [N, J]. */
export function headsForward(h: HeadsShape): KernelSource {
  return {
    label: 'heads',
    bindings: [
      { name: 'pooled', access: 'read' },
      { name: 'params', access: 'read' },
      { name: 'logits', access: 'rw' },
    ],
    shape: headsUniform(h),
    groups: (n) => grid1d(n * total(h)),
    body: linearMain(
      'dims.n * shape.J',
      `let img = i / shape.J;
  let hd = headOf(i % shape.J);
  let jh = classesOf(hd.x);
  var s = params[hd.w + hd.y];
  for (var c = 0u; c < shape.C; c++) { s += pooled[img * shape.C + c] * params[hd.z + c * jh + hd.y]; }
  logits[i] = s;`,
      HEAD_OF,
    ),
  };
}

/**
 * One workgroup: softmax cross-entropy of every (image, head), dlogits, and
 * loss = [mean CE root, vowel, consonant, weighted sum]. Bindings: logits, labels (u32 [N, 3]),
 * dlogits, loss.
 */
export function softmaxCrossEntropy(h: HeadsShape): KernelSource {
  return {
    label: 'softmaxCrossEntropy',
    bindings: [
      { name: 'logits', access: 'read' },
      { name: 'labels', access: 'read', elem: 'u32' },
      { name: 'dlogits', access: 'rw' },
      { name: 'loss', access: 'rw' },
    ],
    shape: headsUniform(h),
    groups: () => [1, 1, 1],
    body: `${HEAD_OF}
var<workgroup> red: array<vec3f, ${LOSS_THREADS}>;
@compute @workgroup_size(${LOSS_THREADS})
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let n = dims.n;
  var sums = vec3f(0.0);
  for (var t = lid.x; t < n * 3u; t += ${LOSS_THREADS}u) {
    let img = t / 3u;
    let hh = t % 3u;
    let base = img * shape.J + startOf(hh);
    let jh = classesOf(hh);
    var mx = -3.0e38;
    for (var j = 0u; j < jh; j++) { mx = max(mx, logits[base + j]); }
    var se = 0.0;
    for (var j = 0u; j < jh; j++) { se += exp(logits[base + j] - mx); }
    let label = labels[img * 3u + hh];
    let ce = log(se) + mx - logits[base + label];
    let scale = lossWeight(hh) / f32(n);
    for (var j = 0u; j < jh; j++) {
      let p = exp(logits[base + j] - mx) / se;
      dlogits[base + j] = (p - select(0.0, 1.0, j == label)) * scale;
    }
    sums[hh] += ce;
  }
  red[lid.x] = sums;
  workgroupBarrier();
  for (var stride = ${LOSS_THREADS / 2}u; stride > 0u; stride /= 2u) {
    if (lid.x < stride) { red[lid.x] += red[lid.x + stride]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let mean = red[0] / f32(n);
    loss[0] = mean.x;
    loss[1] = mean.y;
    loss[2] = mean.z;
    loss[3] = mean.x * lossWeight(0u) + mean.y * lossWeight(1u) + mean.z * lossWeight(2u);
  }
}
`,
  };
}

/** Kernel and bias gradients (slot 0). Bindings: pooled, dlogits, grads. */
export function headsWeightGrad(h: HeadsShape): KernelSource {
  return {
    label: 'headsWeightGrad',
    bindings: [
      { name: 'pooled', access: 'read' },
      { name: 'dlogits', access: 'read' },
      { name: 'grads', access: 'rw' },
    ],
    shape: headsUniform(h),
    groups: () => grid1d((h.C + 1) * total(h)),
    body: linearMain(
      '(shape.C + 1u) * shape.J',
      `let row = i / shape.J;
  let j = i % shape.J;
  let hd = headOf(j);
  var s = 0.0;
  for (var img = 0u; img < dims.n; img++) {
    let d = dlogits[img * shape.J + j];
    s += select(pooled[img * shape.C + min(row, shape.C - 1u)] * d, d, row == shape.C);
  }
  if (row == shape.C) { grads[hd.w + hd.y] = s; } else { grads[hd.z + row * classesOf(hd.x) + hd.y] = s; }`,
      HEAD_OF,
    ),
  };
}

/** Gradient of the pooled features. Bindings: dlogits, params, dpooled. */
export function headsInputGrad(h: HeadsShape): KernelSource {
  return {
    label: 'headsInputGrad',
    bindings: [
      { name: 'dlogits', access: 'read' },
      { name: 'params', access: 'read' },
      { name: 'dpooled', access: 'rw' },
    ],
    shape: headsUniform(h),
    groups: (n) => grid1d(n * h.C),
    body: linearMain(
      'dims.n * shape.C',
      `let img = i / shape.C;
  let c = i % shape.C;
  var s = 0.0;
  for (var j = 0u; j < shape.J; j++) {
    let hd = headOf(j);
    s += dlogits[img * shape.J + j] * params[hd.z + c * classesOf(hd.x) + hd.y];
  }
  dpooled[i] = s;`,
      HEAD_OF,
    ),
  };
}

/**
 * Training-mode batch norm forward, fused with the residual add and ReLU
 * that follow it in a BasicBlock: out = relu?(gamma * (x - mean) * invstd +
 * beta + residual?), mean and variance over batch x height x width (biased,
 * as tfjs-layers and PyTorch normalize). Two kernels: `bnStats` writes
 * per-channel partial sums of x and x^2 for ROW_SPLITS row ranges;
 * `bnApply` finalizes them once per workgroup into workgroup memory (so no
 * separate finalize dispatch), normalizes a block of rows, and its first
 * row of workgroups updates the moving mean and variance.
 */
import { actStorage, F32, f32Bits, type KernelSource, type Variant } from './kernel.js';

/** Channels per workgroup (x) and row lanes (y): 64 neighbouring channels are contiguous in NHWC. */
export const BN_CHANNELS = 64;
export const BN_LANES = 4;
/** Rows (pixels of the batch) one bnApply workgroup normalizes. */
export const BN_ROWS_PER_GROUP = 64;
/** Upper bound on row splits of the statistics (and the floats of scratch they take). */
export const BN_MAX_SPLITS = 64;
/** Rows one bnStats workgroup should sum at least. */
const ROWS_PER_SPLIT = 2048;

export interface BnShape {
  C: number;
  /** Pixels per image (H * W). */
  HW: number;
  /** Row splits of the statistics, fixed when the plan is built (bnSplits). */
  splits: number;
  epsilon: number;
  momentum: number;
}

export function bnSplits(maxRows: number): number {
  return Math.max(1, Math.min(BN_MAX_SPLITS, Math.ceil(maxRows / ROWS_PER_SPLIT)));
}

/** Floats of scratch a BN layer needs: forward partials, then backward partials. */
export const bnScratchFloats = (s: BnShape) => 4 * s.splits * s.C;

export const channelGroups = (C: number) => Math.ceil(C / BN_CHANNELS);

/** WGSL: the entry point of every BN kernel, a workgroup of BN_CHANNELS channels x BN_LANES row lanes. */
export function bnEntry(subgroups: boolean): string {
  const extra = subgroups ? `, ${SUBGROUP_BUILTINS}` : '';
  return `@compute @workgroup_size(${BN_CHANNELS}, ${BN_LANES})
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u${extra})`;
}

/** WGSL: this thread's channel c of C, and R, the rows (pixels of the batch) to normalize over. */
export const BN_CHANNEL = `let C = shape.C;
  let R = dims.n * shape.HW;
  let c = wid.x * ${BN_CHANNELS}u + lid.x;`;

/** WGSL: BN_CHANNEL and [r0, r1), this workgroup's share of the rows in a statistics pass (row split wid.y). */
export const BN_SPLIT_ROWS = `${BN_CHANNEL}
  let per = (R + shape.RS - 1u) / shape.RS;
  let r0 = wid.y * per;
  let r1 = min(R, r0 + per);`;

/** WGSL: the workgroup memory bnSplitSums reduces in. */
export const BN_RED = `var<workgroup> red: array<f32, ${2 * BN_CHANNELS * BN_LANES}>;`;

/**
 * WGSL: two per-channel sums s and q over rows [r0, r1) (`term` adds row r's share to them), reduced
 * across the row lanes and written as this split's partials at scratch[offset + (wid.y * C + c) * 2].
 */
export function bnSplitSums(term: string, offset: string): string {
  return `var s = 0.0;
  var q = 0.0;
  if (c < C) {
    for (var r = r0 + lid.y; r < r1; r += ${BN_LANES}u) {
      ${term}
    }
  }
  let t = lid.y * ${BN_CHANNELS}u + lid.x;
  red[t] = s;
  red[${BN_CHANNELS * BN_LANES}u + t] = q;
  workgroupBarrier();
  if (lid.y == 0u && c < C) {
    var ss = 0.0;
    var qq = 0.0;
    for (var j = 0u; j < ${BN_LANES}u; j++) {
      ss += red[j * ${BN_CHANNELS}u + lid.x];
      qq += red[${BN_CHANNELS * BN_LANES}u + j * ${BN_CHANNELS}u + lid.x];
    }
    scratch[${offset}(wid.y * C + c) * 2u] = ss;
    scratch[${offset}(wid.y * C + c) * 2u + 1u] = qq;
  }`;
}

/** Bindings: x (NHWC; `act`), scratch (forward partials at 0). */
export function bnStats(s: BnShape, v: Variant = F32): KernelSource {
  return {
    label: `bnStats C${s.C}`,
    act: actStorage(v),
    bindings: [
      { name: 'x', access: 'read', elem: 'act' },
      { name: 'scratch', access: 'rw' },
    ],
    shape: { fields: ['C', 'HW', 'RS'], values: [s.C, s.HW, s.splits] },
    groups: () => [channelGroups(s.C), s.splits, 1],
    body: `
${BN_RED}
${bnEntry(false)} {
  ${BN_SPLIT_ROWS}
  ${bnSplitSums(
    `let v = f32(x[r * C + c]);
      s += v;
      q += v * v;`,
    '',
  )}
}
`,
  };
}

/** WGSL: mean and 1/sqrt(var + eps) of channel c from the forward partials in `scratch`, and the variance. */
export const BN_FINALIZE = `fn bnMoments(c: u32, C: u32, R: f32) -> vec3f {
  var s = 0.0;
  var q = 0.0;
  for (var j = 0u; j < shape.RS; j++) {
    s += scratch[(j * C + c) * 2u];
    q += scratch[(j * C + c) * 2u + 1u];
  }
  let mean = s / R;
  let variance = max(q / R - mean * mean, 0.0);
  return vec3f(mean, inverseSqrt(variance + bitcast<f32>(shape.EPS)), variance);
}`;

/**
 * The subgroup variant of the finalize, for the whole workgroup at once: BN_FINALIZE has one thread
 * per channel loop over the RS splits while the other lanes wait, and every bnApply workgroup does
 * it (at RS = 64 it reads twice the scratch floats that it normalizes). Here each subgroup takes
 * the next channel from a counter, its lanes sum the splits, and subgroupAdd combines them, so it
 * holds for any subgroup size and any placement of invocations in subgroups.
 * fin[ch] = (sum x, sum x^2) and, with `backward`, (sum dy, sum dy xhat).
 */
export function bnFinalizeSubgroup(backward: boolean): string {
  const bwd = backward ? 'scratch[shape.BWD + f], scratch[shape.BWD + f + 1u]' : '0.0, 0.0';
  return `var<workgroup> nextChannel: atomic<u32>;
var<workgroup> fin: array<vec4f, ${BN_CHANNELS}>;
fn finalizeGroup(c0: u32, lane: u32, size: u32) {
  loop {
    var ch = 0u;
    if (subgroupElect()) { ch = atomicAdd(&nextChannel, 1u); }
    ch = subgroupBroadcastFirst(ch);
    if (ch >= ${BN_CHANNELS}u) { break; }
    var v = vec4f(0.0);
    if (c0 + ch < shape.C) {
      for (var j = lane; j < shape.RS; j += size) {
        let f = (j * shape.C + c0 + ch) * 2u;
        v += vec4f(scratch[f], scratch[f + 1u], ${bwd});
      }
    }
    let t = subgroupAdd(v);
    if (subgroupElect()) { fin[ch] = t; }
  }
  workgroupBarrier();
}
fn momentsOf(sums: vec2f, R: f32) -> vec3f {
  let mean = sums.x / R;
  let variance = max(sums.y / R - mean * mean, 0.0);
  return vec3f(mean, inverseSqrt(variance + bitcast<f32>(shape.EPS)), variance);
}`;
}

/** Entry-point parameters of the subgroup kernels. */
export const SUBGROUP_BUILTINS = '@builtin(subgroup_invocation_id) sgLane: u32, @builtin(subgroup_size) sgSize: u32';

/** Workgroups of an apply pass: a channel group by a block of BN_ROWS_PER_GROUP rows. */
export const bnApplyGroups =
  (s: BnShape) =>
  (n: number): [number, number, number] => [channelGroups(s.C), Math.ceil((n * s.HW) / BN_ROWS_PER_GROUP), 1];

export interface BnParams {
  gamma: number;
  beta: number;
  movingMean: number;
  movingVar: number;
}

/**
 * Bindings: x, scratch, params (gamma, beta), residual (a dummy when `residual` is false),
 * out, bnState (moving mean and variance). x, residual and out are activations (`act`).
 */
export function bnApply(
  s: BnShape,
  p: BnParams,
  opts: { relu: boolean; residual: boolean },
  v: Variant = F32,
): KernelSource {
  return {
    label: `bnApply C${s.C}`,
    act: actStorage(v),
    bindings: [
      { name: 'x', access: 'read', elem: 'act' },
      { name: 'scratch', access: 'read' },
      { name: 'params', access: 'read' },
      { name: 'residual', access: 'read', elem: 'act' },
      { name: 'out', access: 'rw', elem: 'act' },
      { name: 'bnState', access: 'rw' },
    ],
    shape: {
      fields: ['C', 'HW', 'RS', 'EPS', 'MOM', 'GAMMA', 'BETA', 'MMEAN', 'MVAR', 'RELU', 'RES'],
      values: [
        s.C,
        s.HW,
        s.splits,
        f32Bits(s.epsilon),
        f32Bits(s.momentum),
        p.gamma,
        p.beta,
        p.movingMean,
        p.movingVar,
        opts.relu ? 1 : 0,
        opts.residual ? 1 : 0,
      ],
    },
    groups: bnApplyGroups(s),
    body: v.subgroups ? bnApplySubgroupMain() : bnApplyMain(),
  };
}

// moving = moving * momentum + batch * (1 - momentum); the variance biased, as tfjs-layers keeps it.
const MOVING_UPDATE = `let m = bitcast<f32>(shape.MOM);
      bnState[shape.MMEAN + c] = bnState[shape.MMEAN + c] * m + mv.x * (1.0 - m);
      bnState[shape.MVAR + c] = bnState[shape.MVAR + c] * m + mv.z * (1.0 - m);`;

/** Normalizes this workgroup's rows of channel c with its moments `mv` (mean, invstd). */
const NORMALIZE = `if (c >= C) { return; }
  let g = params[shape.GAMMA + c] * mv.y;
  let b = params[shape.BETA + c] - mv.x * g;
  let r0 = wid.y * ${BN_ROWS_PER_GROUP}u;
  let r1 = min(R, r0 + ${BN_ROWS_PER_GROUP}u);
  for (var r = r0 + lid.y; r < r1; r += ${BN_LANES}u) {
    let i = r * C + c;
    var v = f32(x[i]) * g + b;
    if (shape.RES != 0u) { v += f32(residual[i]); }
    if (shape.RELU != 0u) { v = max(v, 0.0); }
    out[i] = toAct(v);
  }`;

function bnApplyMain(): string {
  return `${BN_FINALIZE}
var<workgroup> stat: array<vec2f, ${BN_CHANNELS}>;
${bnEntry(false)} {
  ${BN_CHANNEL}
  if (lid.y == 0u && c < C) {
    let mv = bnMoments(c, C, f32(R));
    stat[lid.x] = mv.xy;
    if (wid.y == 0u) {
      ${MOVING_UPDATE}
    }
  }
  workgroupBarrier();
  let mv = stat[lid.x];
  ${NORMALIZE}
}
`;
}

function bnApplySubgroupMain(): string {
  return `${bnFinalizeSubgroup(false)}
${bnEntry(true)} {
  ${BN_CHANNEL}
  finalizeGroup(wid.x * ${BN_CHANNELS}u, sgLane, sgSize);
  let mv = momentsOf(fin[lid.x].xy, f32(R));
  if (lid.y == 0u && c < C && wid.y == 0u) {
    ${MOVING_UPDATE}
  }
  ${NORMALIZE}
}
`;
}

/**
 * Training-mode batch norm backward, through the ReLU that follows it (the
 * mask is the saved post-activation output: the BN's own ReLU, or the
 * block's ReLU after the residual add): dy = dout * (mask > 0), and
 *   dx = gamma * invstd / R * (R * dy - sum(dy) - xhat * sum(dy * xhat)),
 *   dgamma = sum(dy * xhat), dbeta = sum(dy).
 * `bnGradReduce` writes per-channel partial sums; `bnGradApply` finalizes
 * them per workgroup, writes dx, optionally dy itself (the gradient of the
 * identity shortcut), and from its first row of workgroups dgamma and dbeta.
 * The gradients (dout, dx, dres) stay f32 in every variant; the saved activations (mask, x) are `act`.
 */
import {
  BN_CHANNEL,
  BN_CHANNELS,
  BN_FINALIZE,
  BN_LANES,
  BN_RED,
  BN_ROWS_PER_GROUP,
  BN_SPLIT_ROWS,
  bnApplyGroups,
  bnEntry,
  bnFinalizeSubgroup,
  bnSplitSums,
  channelGroups,
  type BnParams,
  type BnShape,
} from './batchnorm-forward.js';
import { actStorage, F32, f32Bits, type BindingSpec, type KernelSource, type Variant } from './kernel.js';

const DY = `fn gradOut(i: u32) -> f32 {
  if (shape.RELU != 0u && f32(mask[i]) <= 0.0) { return 0.0; }
  return dout[i];
}`;

/** The first bindings of both kernels: the gradient arriving, the ReLU mask and the BN's input. */
const GRAD_INPUTS: readonly BindingSpec[] = [
  { name: 'dout', access: 'read' },
  { name: 'mask', access: 'read', elem: 'act' },
  { name: 'x', access: 'read', elem: 'act' },
];

function bnShapeFields(s: BnShape, relu: boolean) {
  return {
    fields: ['C', 'HW', 'RS', 'EPS', 'RELU', 'BWD'],
    values: [s.C, s.HW, s.splits, f32Bits(s.epsilon), relu ? 1 : 0, 2 * s.splits * s.C],
  };
}

/** Sums dy and dy * xhat over this workgroup's row range of channel c (both variants). */
const REDUCE_ROWS = bnSplitSums(
  `let i = r * C + c;
      let dy = gradOut(i);
      s += dy;
      q += dy * (f32(x[i]) - mv.x) * mv.y;`,
  'shape.BWD + ',
);

/**
 * Bindings: dout, mask, x (the BN's input), scratch (forward partials read, backward partials written).
 * The f32 kernel has every thread finalize its channel's moments; the subgroup one finalizes the
 * workgroup's channels together first.
 */
export function bnGradReduce(s: BnShape, relu: boolean, v: Variant = F32): KernelSource {
  const main = v.subgroups
    ? `${bnFinalizeSubgroup(false)}
${bnEntry(true)} {
  ${BN_SPLIT_ROWS}
  finalizeGroup(wid.x * ${BN_CHANNELS}u, sgLane, sgSize);
  let mv = momentsOf(fin[lid.x].xy, f32(R));
  ${REDUCE_ROWS}
}`
    : `${BN_FINALIZE}
${bnEntry(false)} {
  ${BN_SPLIT_ROWS}
  var mv = vec3f(0.0);
  if (c < C) { mv = bnMoments(c, C, f32(R)); }
  ${REDUCE_ROWS}
}`;
  return {
    label: `bnGradReduce C${s.C}`,
    act: actStorage(v),
    bindings: [...GRAD_INPUTS, { name: 'scratch', access: 'rw' }],
    shape: bnShapeFields(s, relu),
    groups: () => [channelGroups(s.C), s.splits, 1],
    body: `${DY}
${BN_RED}
${main}
`,
  };
}

/** dgamma and dbeta from the first row of workgroups; dx (and dy) for this workgroup's rows. */
const APPLY_ROWS = `if (lid.y == 0u && c < C && wid.y == 0u) {
    grads[shape.GAMMA + c] = k.sdyx;
    grads[shape.BETA + c] = k.sdy;
  }
  if (c >= C) { return; }
  let scale = params[shape.GAMMA + c] * k.invstd / f32(R);
  let r0 = wid.y * ${BN_ROWS_PER_GROUP}u;
  let r1 = min(R, r0 + ${BN_ROWS_PER_GROUP}u);
  for (var r = r0 + lid.y; r < r1; r += ${BN_LANES}u) {
    let i = r * C + c;
    let dy = gradOut(i);
    let xhat = (f32(x[i]) - k.mean) * k.invstd;
    dx[i] = scale * (f32(R) * dy - k.sdy - xhat * k.sdyx);
    if (shape.WRITE_DY != 0u) { dres[i] = dy; }
  }`;

function bnGradApplyMain(): string {
  return `${BN_FINALIZE}
var<workgroup> coef: array<Coef, ${BN_CHANNELS}>;
${bnEntry(false)} {
  ${BN_CHANNEL}
  if (lid.y == 0u && c < C) {
    let mv = bnMoments(c, C, f32(R));
    var sdy = 0.0;
    var sdyx = 0.0;
    for (var j = 0u; j < shape.RS; j++) {
      sdy += scratch[shape.BWD + (j * C + c) * 2u];
      sdyx += scratch[shape.BWD + (j * C + c) * 2u + 1u];
    }
    coef[lid.x] = Coef(mv.x, mv.y, sdy, sdyx);
  }
  workgroupBarrier();
  let k = coef[lid.x];
  ${APPLY_ROWS}
}`;
}

function bnGradApplySubgroupMain(): string {
  return `${bnFinalizeSubgroup(true)}
${bnEntry(true)} {
  ${BN_CHANNEL}
  finalizeGroup(wid.x * ${BN_CHANNELS}u, sgLane, sgSize);
  let f = fin[lid.x];
  let mv = momentsOf(f.xy, f32(R));
  let k = Coef(mv.x, mv.y, f.z, f.w);
  ${APPLY_ROWS}
}`;
}

/**
 * Bindings: dout, mask, x, scratch, params (gamma), dx, dres (dy itself; a dummy unless
 * `writeDy`), grads (slot 0 gets dgamma and dbeta).
 */
export function bnGradApply(
  s: BnShape,
  p: BnParams,
  opts: { relu: boolean; writeDy: boolean },
  v: Variant = F32,
): KernelSource {
  const base = bnShapeFields(s, opts.relu);
  return {
    label: `bnGradApply C${s.C}`,
    act: actStorage(v),
    bindings: [
      ...GRAD_INPUTS,
      { name: 'scratch', access: 'read' },
      { name: 'params', access: 'read' },
      { name: 'dx', access: 'rw' },
      { name: 'dres', access: 'rw' },
      { name: 'grads', access: 'rw' },
    ],
    shape: {
      fields: [...base.fields, 'GAMMA', 'BETA', 'WRITE_DY'],
      values: [...base.values, p.gamma, p.beta, opts.writeDy ? 1 : 0],
    },
    groups: bnApplyGroups(s),
    body: `${DY}
struct Coef { mean: f32, invstd: f32, sdy: f32, sdyx: f32 }
${v.subgroups ? bnGradApplySubgroupMain() : bnGradApplyMain()}
`,
  };
}

/**
 * What every kernel shares: its bindings declared once (WGSL declarations and
 * the bind group layout both come from the same list), the per-step uniform
 * `dims`, and a recorded dispatch whose workgroup count depends only on the
 * batch size of the step. Shapes other than the batch are baked into each
 * kernel's WGSL as constants, so a plan has no per-dispatch uniform writes.
 */
import type { GpuContext } from './device.js';

export type Access = 'read' | 'rw';
export interface BindingSpec {
  name: string;
  access: Access;
  /**
   * Element type of the array; f32 unless said. `act` is a forward activation's storage type: f16 in
   * the f16 variant (the WGSL alias `act`), f32 otherwise; kernels read it as `f32(x[i])` and write
   * `toAct(v)`, so one body serves every variant.
   */
  elem?: 'f32' | 'u32' | 'act';
}

import type { ActStorage } from './variant.js';
export { actStorage, F32, variantWords, type ActStorage, type Variant } from './variant.js';

/** Written once per step: the batch size and Adam's step-dependent factors. */
export const DIMS_BYTES = 16;
export const DIMS_WGSL = `struct Dims { n: u32, lr: f32, c1: f32, c2: f32 }
@group(0) @binding(0) var<uniform> dims: Dims;`;

/**
 * A kernel's shape (everything but the batch) as a uniform written once when the plan is built.
 * Baking shapes into the WGSL as constants makes one pipeline per layer shape, and lavapipe's LLVM
 * takes 15-30 s to compile each GEMM (measured at load 17 on 2 cores); as uniforms, every layer
 * shares one pipeline per kernel kind. On a real GPU, where a pipeline compiles in milliseconds,
 * the context specializes: `shape.NAME` becomes a literal, so index math divides by constants.
 */
export interface ShapeUniform {
  /** u32 fields, in order; the WGSL reads them as `shape.NAME`. */
  fields: readonly string[];
  values: readonly number[];
}

/** Elementwise kernels: threads per workgroup, and the widest grid side WebGPU allows. */
export const WG_1D = 256;
const MAX_GRID = 65535;

/** The bits of an f32, for a shape field the WGSL reads with bitcast<f32>. */
export function f32Bits(v: number): number {
  return new Uint32Array(Float32Array.of(v).buffer)[0]!;
}

/** Storage buffers start at this binding (0 is `dims`, 1 is `shape`). */
export const FIRST_STORAGE = 2;

/** Extensions first (WGSL wants them before any declaration), then the bindings. */
const TO_ACT: Record<ActStorage, string> = {
  f32: 'fn toAct(v: f32) -> f32 { return v; }',
  f16: 'fn toAct(v: f32) -> f16 { return f16(v); }',
  // To nearest even f16 value with integer ops (lavapipe folded unpack2x16float(pack2x16float(v)) to v):
  // 13 mantissa bits off in the normal range, multiples of 2^-24 below it (f16's subnormals).
  rounded: `fn toAct(v: f32) -> f32 {
  let b = bitcast<u32>(v);
  if (((b >> 23u) & 0xffu) < 113u) { return round(v * 16777216.0) / 16777216.0; }
  return bitcast<f32>((b + 0xfffu + ((b >> 13u) & 1u)) & 0xffffe000u);
}`,
};

export function header(
  bindings: readonly BindingSpec[],
  shape: ShapeUniform,
  act: ActStorage = 'f32',
  body = '',
): string {
  const enables: string[] = [];
  if (act === 'f16') enables.push('enable f16;');
  // The subgroup kernels take their loop bounds from subgroupBroadcastFirst, which the uniformity
  // analysis cannot see is uniform across the subgroup.
  if (/\bsubgroup[A-Z]/.test(body)) enables.push('enable subgroups;', 'diagnostic(off, subgroup_uniformity);');
  if (bindings.some((b) => b.elem === 'act'))
    enables.push(`alias act = ${act === 'f16' ? 'f16' : 'f32'};`, TO_ACT[act]);
  const fields = shape.fields.length ? shape.fields.map((f) => `${f}: u32`).join(', ') : 'unused: u32';
  const lines = bindings.map((b, i) => {
    const space = b.access === 'read' ? 'storage, read' : 'storage, read_write';
    return `@group(0) @binding(${i + FIRST_STORAGE}) var<${space}> ${b.name}: array<${b.elem ?? 'f32'}>;`;
  });
  return `${enables.map((e) => e + '\n').join('')}${DIMS_WGSL}
struct Shape { ${fields} }
@group(0) @binding(1) var<uniform> shape: Shape;
${lines.join('\n')}
`;
}

/** A flat thread index for 1-D kernels launched by `grid1d` (x * y workgroups of WG_1D). */
const LINEAR_ID = `fn linearId(wid: vec3u, nwg: vec3u, lid: vec3u) -> u32 {
  return (wid.y * nwg.x + wid.x) * ${WG_1D}u + lid.x;
}`;

/**
 * WGSL: the entry point of a 1-D kernel launched by `grid1d`, one thread per element below `count`
 * (`i` its index); `body` runs after the bounds check, `prelude` declares what it calls.
 */
export function linearMain(count: string, body: string, prelude?: string): string {
  return `${LINEAR_ID}
${prelude ? prelude + '\n' : ''}@compute @workgroup_size(${WG_1D})
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linearId(wid, nwg, lid);
  if (i >= ${count}) { return; }
  ${body}
}
`;
}

export function grid1d(threads: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(threads / WG_1D));
  const x = Math.min(groups, MAX_GRID);
  return [x, Math.ceil(groups / x), 1];
}

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  /** Workgroups for a step of `n` images. */
  groups(n: number): [number, number, number];
}

export interface KernelSource {
  label: string;
  bindings: readonly BindingSpec[];
  /** WGSL after the declarations: constants, helpers and `fn main`. */
  body: string;
  shape: ShapeUniform;
  groups(n: number): [number, number, number];
  /** How `act` bindings store activations; f32 unless said. */
  act?: ActStorage;
}

/** Builds (or reuses) the pipeline and binds `buffers` in the order of `src.bindings`. */
export function makeDispatch(ctx: GpuContext, src: KernelSource, dims: GPUBuffer, buffers: GPUBuffer[]): Dispatch {
  if (buffers.length !== src.bindings.length)
    throw new Error(`${src.label}: ${buffers.length} buffers for ${src.bindings.length} bindings`);
  if (src.shape.values.length !== src.shape.fields.length)
    throw new Error(`${src.label}: ${src.shape.values.length} shape values for ${src.shape.fields.length} fields`);
  const body = ctx.specialize ? specialize(src.body, src.shape) : src.body;
  if (src.act === 'f16' && !ctx.offered.f16)
    throw new Error(`${src.label}: an f16 kernel on a device without shader-f16`);
  if (/\bsubgroup[A-Z]/.test(body) && !ctx.offered.subgroups)
    throw new Error(`${src.label}: a subgroup kernel on a device without subgroups`);
  const code = header(src.bindings, src.shape, src.act, body) + body;
  const pipeline = ctx.pipeline(
    src.label.split(' ')[0]!,
    code,
    src.bindings.map((b) => b.access),
  );
  const shape = ctx.buffer(`${src.label} shape`, Math.max(4, src.shape.values.length * 4), GPUBufferUsage.UNIFORM);
  ctx.write(
    shape,
    Uint32Array.from(src.shape.values.length ? src.shape.values : [0], (v) => v >>> 0),
  );
  const bindGroup = ctx.device.createBindGroup({
    label: src.label,
    layout: pipeline.getBindGroupLayout(0),
    entries: [dims, shape, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  return { label: src.label, pipeline, bindGroup, groups: src.groups };
}

/** The body with every `shape.NAME` replaced by its value. */
export function specialize(body: string, shape: ShapeUniform): string {
  const values = new Map(shape.fields.map((f, i) => [f, shape.values[i]!]));
  return body.replace(/\bshape\.([A-Za-z_][A-Za-z0-9_]*)\b/g, (whole, name: string) => {
    const v = values.get(name);
    if (v === undefined) throw new Error(`shape field ${name} is not declared`);
    return `${v >>> 0}u`;
  });
}

/** Records dispatches into one compute pass and counts them. */
export function encode(ctx: GpuContext, pass: GPUComputePassEncoder, list: readonly Dispatch[], n: number): void {
  for (const d of list) {
    const [x, y, z] = d.groups(n);
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    ctx.counters.dispatches++;
  }
}

/** Runs dispatches in one submit and waits for them (kernel tests and one-off passes). */
export async function runOnce(ctx: GpuContext, list: readonly Dispatch[], n: number): Promise<void> {
  const enc = ctx.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  encode(ctx, pass, list, n);
  pass.end();
  ctx.device.queue.submit([enc.finish()]);
  ctx.counters.submits++;
  await ctx.device.queue.onSubmittedWorkDone();
  ctx.throwIfLost();
}

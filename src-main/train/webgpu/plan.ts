/**
 * A fixed training plan for one (arch, input size, largest batch, width):
 * every buffer, pipeline and bind group is made once here; a step writes
 * the batch and one 16-byte uniform, records one command encoder (one
 * compute pass) with the same dispatch list every time, submits once, and
 * reads back only the four loss values. Batches smaller than the largest
 * (an epoch's last) reuse the plan: kernels read the batch size from the
 * uniform. The context's variant (kernel.ts `Variant`) picks the kernels:
 * the same list of dispatches in every variant, only their WGSL and the
 * activation buffers' element size differ.
 */
import type { GpuContext } from './device.js';
import {
  actStorage,
  DIMS_BYTES,
  encode,
  makeDispatch,
  type Dispatch,
  type KernelSource,
  type Variant,
} from './kernel.js';
import { bnApply, bnScratchFloats, bnSplits, bnStats, type BnShape } from './batchnorm-forward.js';
import { bnGradApply, bnGradReduce } from './batchnorm-backward.js';
import { convForward } from './conv-forward.js';
import { convInputGrad } from './conv-input-grad.js';
import { convFilterGrad, filterGradSplit } from './conv-filter-grad.js';
import { avgPoolBackward, avgPoolForward, maxPoolBackward, maxPoolForward, poolGeometry } from './pool.js';
import { headsForward, headsInputGrad, headsWeightGrad, softmaxCrossEntropy, type HeadsShape } from './heads.js';
import { adam, TFJS_ADAM } from './adam.js';
import { resnetGraph, type Block, type ConvBnLayer } from './resnet-graph.js';
import type { FlatLayout } from './params.js';
import type { Arch } from '../config.js';

/** Split-K slices of the gradient buffer (Adam sums them), fewer when one buffer would exceed the binding limit. */
export const GRAD_SLOTS = 8;
const HEAD_NAMES = ['root', 'vowel', 'consonant'] as const;

export interface PlanConfig {
  arch: Arch;
  size: number;
  baseWidth: number;
  /** The largest batch a step may get. */
  batch: number;
  classes: readonly [number, number, number];
  lossWeights: readonly [number, number, number];
  params: FlatLayout;
  bnState: FlatLayout;
  bn: { epsilon: number; momentum: number };
}

export interface StepLoss {
  loss: number;
  root: number;
  vowel: number;
  consonant: number;
}

/** An activation and (when something flows back into it) its gradient. */
interface Act {
  value: GPUBuffer;
  grad: GPUBuffer | null;
}
/** Records a layer's backward kernels: `accumulate` adds to the input's gradient; `identity` also receives dy. */
type Backward = (accumulate: boolean, identity: Act | null) => void;

export class TrainingPlan {
  readonly dispatches: Dispatch[] = [];
  /** Bytes of every buffer the plan made. */
  bytes = 0;
  readonly params: GPUBuffer;
  readonly bnState: GPUBuffer;
  readonly adamM: GPUBuffer;
  readonly adamV: GPUBuffer;
  private readonly grads: GPUBuffer;
  private readonly dims: GPUBuffer;
  private readonly input: GPUBuffer;
  private readonly labels: GPUBuffer;
  private readonly loss: GPUBuffer;
  private readonly lossRead: GPUBuffer;
  private readonly dummy: GPUBuffer;
  private readonly owned: GPUBuffer[] = [];
  /** Gradient slices actually used (GRAD_SLOTS or fewer). */
  readonly slots: number;
  /** Bytes of the largest buffer per image of the batch (it bounds the batch by the binding limit). */
  largestPerImage = 0;
  /** Adam's step count t (bias correction), as tfjs counts iterations. */
  iterations = 0;
  /** Host milliseconds of the last step from its start to its submit (uploads, encoding). */
  lastHostMs = 0;
  /** The context's variant when the plan was built. */
  readonly variant: Variant;

  constructor(
    private readonly ctx: GpuContext,
    readonly config: PlanConfig,
  ) {
    const c = config;
    this.variant = { ...ctx.variant };
    const P = c.params.total;
    const limit = ctx.maxBinding;
    this.slots = Math.max(1, Math.min(GRAD_SLOTS, Math.floor(limit / (P * 4))));
    this.dims = this.buf('dims', DIMS_BYTES, GPUBufferUsage.UNIFORM);
    this.params = this.buf('params', P * 4);
    this.grads = this.buf('grads', this.slots * P * 4);
    this.adamM = this.buf('adam m', P * 4);
    this.adamV = this.buf('adam v', P * 4);
    this.bnState = this.buf('bn state', c.bnState.total * 4);
    this.input = this.buf('images', c.batch * c.size * c.size * 4);
    this.labels = this.buf('labels', c.batch * 3 * 4);
    this.loss = this.buf('loss', 16);
    this.lossRead = ctx.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.dummy = this.buf('unused binding', 16);
    this.build();
  }

  private buf(label: string, bytes: number, usage?: number): GPUBuffer {
    const limit = this.ctx.maxBinding;
    if (bytes > limit) throw new BufferLimitError(label, bytes, limit);
    this.bytes += bytes;
    const b = this.ctx.buffer(label, bytes, usage);
    this.owned.push(b);
    return b;
  }

  /** A forward activation (f16 in the f16 variant unless `f32`) and, with `grad`, its f32 gradient. */
  private act(label: string, floatsPerImage: number, grad: boolean, f32 = false): Act {
    const valueBytes = this.variant.f16 && !f32 ? 2 : 4;
    this.largestPerImage = Math.max(this.largestPerImage, floatsPerImage * (grad ? 4 : valueBytes));
    const bytes = (b: number) => this.config.batch * floatsPerImage * b;
    return { value: this.buf(label, bytes(valueBytes)), grad: grad ? this.buf(`${label} grad`, bytes(4)) : null };
  }

  private add(src: KernelSource, buffers: GPUBuffer[]): void {
    this.dispatches.push(makeDispatch(this.ctx, src, this.dims, buffers));
  }

  /** Forward kernels in order, then the backward ones in reverse, then Adam. */
  private build(): void {
    const c = this.config;
    const g = resnetGraph(c.arch, c.size, c.baseWidth);
    const backward: (() => void)[] = [];
    const stemOut = this.act('stem out', g.pool.H * g.pool.W * g.pool.C, true);
    const stemBack = this.convBn(g.stem, { value: this.input, grad: null }, stemOut, null, stemOut);
    const pg = poolGeometry(g.pool);
    const pooledStem = this.act('pool out', pg.OH * pg.OW * pg.C, true);
    const arg = this.buf('pool argmax', c.batch * pg.OH * pg.OW * pg.C * 4);
    this.add(maxPoolForward(pg, actStorage(this.variant)), [stemOut.value, pooledStem.value, arg]);
    backward.push(() => {
      this.add(maxPoolBackward(pg), [pooledStem.grad!, arg, stemOut.grad!]);
      stemBack(false, null);
    });
    let h = pooledStem;
    for (const block of g.blocks) {
      const { out, back } = this.block(block, h);
      backward.push(back);
      h = out;
    }
    this.heads(h, g.final.HW, g.final.C);
    for (const back of backward.reverse()) back();
    this.add(adam(c.params.total, this.slots, TFJS_ADAM), [this.params, this.grads, this.adamM, this.adamV]);
  }

  /** A BasicBlock: relu(bn_b(conv_b(relu(bn_a(conv_a(h))))) + shortcut(h)). */
  private block(block: Block, input: Act): { out: Act; back: () => void } {
    const per = block.H * block.H * block.C;
    const aOut = this.act(`${block.name} a out`, per, true);
    const out = this.act(`${block.name} out`, per, true);
    const aBack = this.convBn(block.a, input, aOut, null, aOut);
    let shortcut = input;
    let downBack: Backward | null = null;
    if (block.down) {
      // The down-sample BN's gradient is the block output's, through the block's ReLU.
      shortcut = { value: this.act(`${block.name} down out`, per, false).value, grad: out.grad };
      downBack = this.convBn(block.down, input, shortcut, null, out);
    }
    const bBack = this.convBn(block.b, aOut, out, shortcut, out);
    const back = () => {
      // The identity shortcut's gradient is bn_b's dy, written into h's gradient; conv_a adds to it.
      bBack(false, downBack ? null : input);
      downBack?.(false, null);
      aBack(true, null);
    };
    return { out, back };
  }

  /**
   * conv + batch norm (+ residual) (+ ReLU) forward; returns its backward. `mask` is the activation
   * whose ReLU the gradient passes through (every BN here feeds one: its own, or the block's).
   */
  private convBn(layer: ConvBnLayer, x: Act, out: Act, residual: Act | null, mask: Act): Backward {
    const c = this.config;
    const geo = layer.conv;
    const convOut = this.act(`${layer.name} conv`, geo.OH * geo.OW * geo.CO, true);
    const bn: BnShape = { C: geo.CO, HW: geo.OH * geo.OW, splits: bnSplits(c.batch * geo.OH * geo.OW), ...c.bn };
    const scratch = this.buf(`${layer.name} bn scratch`, bnScratchFloats(bn) * 4);
    const w = c.params.offsetOf(`${layer.name}_conv/kernel`);
    const bnName = `${layer.name}_bn`;
    const p = {
      gamma: c.params.offsetOf(`${bnName}/gamma`),
      beta: c.params.offsetOf(`${bnName}/beta`),
      movingMean: c.bnState.offsetOf(`${bnName}/moving_mean`),
      movingVar: c.bnState.offsetOf(`${bnName}/moving_variance`),
    };
    const relu = layer.role !== 'shortcut';
    const v = this.variant;
    const io = { act: actStorage(v), image: x.value === this.input };
    this.add(convForward(geo, w, io), [x.value, this.params, convOut.value]);
    this.add(bnStats(bn, v), [convOut.value, scratch]);
    const res = residual?.value ?? this.dummy;
    this.add(bnApply(bn, p, { relu, residual: residual !== null }, v), [
      convOut.value,
      scratch,
      this.params,
      res,
      out.value,
      this.bnState,
    ]);
    return (accumulate, identity) => {
      const dres = identity?.grad ?? this.dummy;
      this.add(bnGradReduce(bn, true, v), [out.grad!, mask.value, convOut.value, scratch]);
      this.add(bnGradApply(bn, p, { relu: true, writeDy: identity !== null }, v), [
        out.grad!,
        mask.value,
        convOut.value,
        scratch,
        this.params,
        convOut.grad!,
        dres,
        this.grads,
      ]);
      const split = filterGradSplit(geo, c.batch, this.slots);
      this.add(convFilterGrad(geo, w, c.params.total, split, io), [x.value, convOut.grad!, this.grads]);
      if (x.grad) this.add(convInputGrad(geo, w, accumulate), [convOut.grad!, this.params, x.grad]);
    };
  }

  /** Global average pool, the three heads, the loss, and their gradients back to `h`. */
  private heads(h: Act, HW: number, C: number): void {
    const c = this.config;
    const pooled = this.act('pooled', C, true, true);
    const logits = this.act('logits', c.classes[0] + c.classes[1] + c.classes[2], true, true);
    const offsets = (suffix: string) =>
      HEAD_NAMES.map((n) => c.params.offsetOf(`${n}_logits/${suffix}`)) as unknown as [number, number, number];
    const heads: HeadsShape = {
      C,
      classes: c.classes,
      kernels: offsets('kernel'),
      biases: offsets('bias'),
      lossWeights: c.lossWeights,
    };
    this.add(avgPoolForward(HW, C, actStorage(this.variant)), [h.value, pooled.value]);
    this.add(headsForward(heads), [pooled.value, this.params, logits.value]);
    this.add(softmaxCrossEntropy(heads), [logits.value, this.labels, logits.grad!, this.loss]);
    this.add(headsWeightGrad(heads), [pooled.value, logits.grad!, this.grads]);
    this.add(headsInputGrad(heads), [logits.grad!, this.params, pooled.grad!]);
    this.add(avgPoolBackward(HW, C), [pooled.grad!, h.grad!]);
  }

  /** Uploads the batch and runs one training step; resolves with the losses (the step's only read-back). */
  async step(images: Float32Array, labels: Uint32Array, lr: number): Promise<StepLoss> {
    const ctx = this.ctx;
    const t0 = performance.now();
    ctx.throwIfLost();
    const n = labels.length / 3;
    if (!Number.isInteger(n) || n < 1 || n > this.config.batch)
      throw new Error(`a step needs 1..${this.config.batch} images with 3 labels each, got ${labels.length} labels`);
    if (images.length !== n * this.config.size * this.config.size)
      throw new Error(
        `images hold ${images.length} values, ${n} images of ${this.config.size}² need ${n * this.config.size ** 2}`,
      );
    const t = ++this.iterations;
    const dims = new ArrayBuffer(DIMS_BYTES);
    new Uint32Array(dims, 0, 1)[0] = n;
    new Float32Array(dims, 4, 3).set([lr, 1 - TFJS_ADAM.beta1 ** t, 1 - TFJS_ADAM.beta2 ** t]);
    ctx.write(this.dims, new Uint32Array(dims));
    ctx.write(this.input, images);
    ctx.write(this.labels, labels);
    const enc = ctx.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    encode(ctx, pass, this.dispatches, n);
    pass.end();
    enc.copyBufferToBuffer(this.loss, 0, this.lossRead, 0, 16);
    ctx.device.queue.submit([enc.finish()]);
    ctx.counters.submits++;
    this.lastHostMs = performance.now() - t0;
    await this.lossRead.mapAsync(GPUMapMode.READ).catch((err) => ctx.explainFailure(err));
    const [root, vowel, consonant, loss] = new Float32Array(this.lossRead.getMappedRange().slice(0));
    this.lossRead.unmap();
    ctx.counters.bytesRead += 16;
    ctx.throwIfLost();
    return { loss: loss!, root: root!, vowel: vowel!, consonant: consonant! };
  }

  /** The summed gradient of the last step (tests: compare with autodiff). */
  async gradients(): Promise<Float32Array> {
    const P = this.config.params.total;
    const slots = await this.ctx.read(this.grads, this.slots * P * 4);
    const out = new Float32Array(P);
    for (let s = 0; s < this.slots; s++) for (let i = 0; i < P; i++) out[i]! += slots[s * P + i]!;
    return out;
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.lossRead.destroy();
  }

  upload(buffer: GPUBuffer, data: Float32Array): void {
    this.ctx.write(buffer, data);
  }

  download(buffer: GPUBuffer, floats: number): Promise<Float32Array> {
    return this.ctx.read(buffer, floats * 4);
  }
}

/** A buffer of the plan is larger than the adapter can bind (maxStorageBufferBindingSize). */
export class BufferLimitError extends Error {
  constructor(
    readonly buffer: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `the ${buffer} buffer needs ${(bytes / 2 ** 20).toFixed(1)} MiB; this GPU binds at most ${(limit / 2 ** 20).toFixed(1)} MiB`,
    );
  }
}

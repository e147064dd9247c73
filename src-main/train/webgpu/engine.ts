/**
 * The wgsl engine as the training loop sees it: a plan over the tfjs
 * model's weights. Weights, moving statistics and Adam's moments live on
 * the GPU during training and are copied into the LayersModel and a tfjs
 * Adam optimizer for checkpoints and validation, in the names and order the
 * other engines save them, so a checkpoint moves between engines.
 */
import * as tf from '@tensorflow/tfjs';
import { CLASS_COUNTS } from '../../contract/domain.js';
import type { TrainConfig } from '../config.js';
import type { GpuContext } from './device.js';
import { bnStateLayout, pack, paramLayout, unpack } from './params.js';
import { BufferLimitError, TrainingPlan, type StepLoss } from './plan.js';

let current: GpuContext | null = null;
/** The device the engine loader opened (engines.ts); the training loop builds its plan on it. */
export function setWgslContext(ctx: GpuContext | null): void {
  current = ctx;
}
export function wgslContext(): GpuContext {
  if (!current) throw new Error('the wgsl engine has no GPU device: select the engine first');
  return current;
}

function bnConfig(model: tf.LayersModel) {
  const bn = model.layers.find((l) => l.getClassName() === 'BatchNormalization');
  const cfg = (bn?.getConfig() ?? {}) as { epsilon?: number; momentum?: number };
  return { epsilon: cfg.epsilon ?? 1e-3, momentum: cfg.momentum ?? 0.99 };
}

type PlanShape = Pick<TrainConfig, 'arch' | 'size' | 'baseWidth' | 'batch' | 'lossWeights'>;

/** Builds the plan inside error scopes: an allocation that fails reports the batch that fits. */
async function buildPlan(ctx: GpuContext, model: tf.LayersModel, c: PlanShape, batch: number): Promise<TrainingPlan> {
  ctx.device.pushErrorScope('out-of-memory');
  ctx.device.pushErrorScope('validation');
  let plan: TrainingPlan | null = null;
  let thrown: unknown = null;
  try {
    plan = new TrainingPlan(ctx, {
      ...c,
      batch,
      classes: [CLASS_COUNTS.root, CLASS_COUNTS.vowel, CLASS_COUNTS.consonant],
      params: paramLayout(model),
      bnState: bnStateLayout(model),
      bn: bnConfig(model),
    });
  } catch (err) {
    thrown = err;
  }
  const invalid = await ctx.device.popErrorScope();
  const oom = await ctx.device.popErrorScope();
  if (thrown || invalid || oom) {
    plan?.destroy();
    if (thrown && !(thrown instanceof BufferLimitError)) throw thrown;
    if (invalid) throw new Error(`the wgsl plan is invalid on this GPU: ${invalid.message}`);
    if (thrown instanceof BufferLimitError)
      // Activation buffers grow with the batch: this one fits at batch * limit / bytes.
      throw new OutOfMemory(thrown.message, Math.floor((batch * thrown.limit) / thrown.bytes));
    throw new OutOfMemory('out of GPU memory', null);
  }
  return plan!;
}

class OutOfMemory extends Error {
  constructor(
    message: string,
    /** A batch that would get past this failure, when it can be computed. */
    readonly fit: number | null,
  ) {
    super(message);
  }
}

export class WgslTrainer {
  private constructor(
    readonly ctx: GpuContext,
    readonly plan: TrainingPlan,
  ) {}

  /** A plan for `config.batch` images; when it does not fit, the error names the largest batch that does. */
  static async create(ctx: GpuContext, model: tf.LayersModel, config: PlanShape): Promise<WgslTrainer> {
    let batch = config.batch;
    let why = '';
    for (;;) {
      let plan: TrainingPlan;
      try {
        plan = await buildPlan(ctx, model, config, batch);
      } catch (err) {
        if (!(err instanceof OutOfMemory)) throw err;
        why ||= err.message;
        batch = Math.min(err.fit ?? Math.floor(batch / 2), batch - 1);
        if (batch < 1)
          throw new Error(
            `batch ${config.batch} does not fit on ${ctx.adapter.name} (${why}), not even batch 1 does: lower --size`,
          );
        continue;
      }
      if (batch === config.batch) return new WgslTrainer(ctx, plan);
      plan.destroy();
      throw new Error(
        `batch ${config.batch} does not fit on ${ctx.adapter.name} (${why}); batch ${batch} does: train with --batch ${batch}`,
      );
    }
  }

  async step(images: Float32Array, labels: Uint32Array, lr: number): Promise<StepLoss> {
    try {
      return await this.plan.step(images, labels, lr);
    } catch (err) {
      if (!this.ctx.lost) throw err;
      throw new Error(`${this.ctx.lost}; training stopped. Resume the run: it continues from its last checkpoint.`);
    }
  }

  /** Uploads the model's weights and, when the optimizer has them, Adam's moments and step count. */
  async loadFrom(model: tf.LayersModel, optimizer: tf.Optimizer): Promise<void> {
    const { params, bnState } = this.plan.config;
    this.plan.upload(this.plan.params, await pack(model.trainableWeights, params));
    this.plan.upload(this.plan.bnState, await pack(model.nonTrainableWeights, bnState));
    const weights = await optimizer.getWeights();
    const iter = weights.find((w) => w.name === 'iter');
    this.plan.iterations = iter ? (await iter.tensor.data())[0]! : 0;
    iter?.tensor.dispose();
    const moments = weights.filter((w) => w.name !== 'iter');
    if (moments.length === 0) return;
    if (moments.length !== 2 * params.entries.length)
      throw new Error(`the optimizer holds ${moments.length} moments for ${params.entries.length} weights`);
    const flat = async (part: typeof moments) => {
      const out = new Float32Array(params.total);
      await Promise.all(part.map(async (w, i) => out.set(await w.tensor.data(), params.entries[i]!.offset)));
      return out;
    };
    const half = params.entries.length;
    this.plan.upload(this.plan.adamM, await flat(moments.slice(0, half)));
    this.plan.upload(this.plan.adamV, await flat(moments.slice(half)));
  }

  /** Copies weights, moving statistics and Adam's state back into the model and the optimizer. */
  async saveTo(model: tf.LayersModel, optimizer: tf.Optimizer): Promise<void> {
    const { params, bnState } = this.plan.config;
    unpack(model.trainableWeights, params, await this.plan.download(this.plan.params, params.total));
    unpack(model.nonTrainableWeights, bnState, await this.plan.download(this.plan.bnState, bnState.total));
    const m = await this.plan.download(this.plan.adamM, params.total);
    const v = await this.plan.download(this.plan.adamV, params.total);
    const named = (flat: Float32Array, suffix: string) =>
      model.trainableWeights.map((w, i) => {
        const e = params.entries[i]!;
        return {
          name: `${(w.read() as tf.Variable).name}/${suffix}`,
          tensor: tf.tensor(flat.subarray(e.offset, e.offset + e.size), e.shape),
        };
      });
    const iter = tf.scalar(this.plan.iterations, 'int32');
    const moments = [...named(m, 'm'), ...named(v, 'v')];
    // Adam's setWeights makes its own variables from these.
    await optimizer.setWeights([{ name: 'iter', tensor: iter }, ...moments]);
    tf.dispose([iter, ...moments.map((x) => x.tensor)]);
  }

  /** Dispatches and submits so far, and what one step records. */
  get counters() {
    return { ...this.ctx.counters, dispatchesPerStep: this.plan.dispatches.length, pipelines: this.ctx.pipelineCount };
  }

  dispose(): void {
    this.plan.destroy();
  }
}

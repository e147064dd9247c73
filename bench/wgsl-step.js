// The wgsl engine's training step in its own process (Dawn's backend is chosen per process):
//   node bench/wgsl-step.js [--backend default|null|vulkan] [--flags "enable-dawn-features=..."]
//        [--arch resnet34] [--size 64] [--batch 32] [--width 64] [--steps N] [--warmup N]
//        [--variants "f32 auto"] [--one-at-a-time]
// Prints one JSON line: adapter, features, and for each kernel variant (GRAPHEME_WGSL_PRECISION
// words: f32, f16, subgroups, f16,subgroups, auto; one the adapter lacks is reported as such) its
// dispatches and submits per step, host ms per step (start of the step to its submit), images/s and
// plan build time. The variants' plans are built on one device and their steps interleaved, so their
// ratios hold under a changing load; --one-at-a-time builds, runs and frees one plan after another
// instead (Dawn's null backend refuses a second ResNet-34 plan's buffers). The top-level figures are
// the first variant's. On the null backend nothing is computed, so only the host figures mean
// anything there.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../dist/main/train/model.js';
import { chooseVariant, openGpu } from '../dist/main/train/webgpu/device.js';
import { variantWords } from '../dist/main/train/webgpu/kernel.js';
import { WgslTrainer } from '../dist/main/train/webgpu/engine.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'default' },
    flags: { type: 'string', default: '' },
    arch: { type: 'string', default: 'resnet34' },
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '32' },
    width: { type: 'string', default: '64' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    variants: { type: 'string', default: 'auto' },
    'one-at-a-time': { type: 'boolean', default: false },
  },
});
const size = Number(values.size);
const batch = Number(values.batch);
const steps = Number(values.steps);
const flags = [
  ...(values.backend === 'default' ? [] : [`backend=${values.backend}`]),
  ...values.flags.split(' ').filter(Boolean),
];
let ctx = null;

/** A plan in `precision`, built and loaded, or why it cannot be. */
async function planFor(precision, model, shape) {
  try {
    ctx.variant = chooseVariant(precision, ctx.offered, ctx.adapter.name);
  } catch (err) {
    return { precision, error: err.message };
  }
  const t0 = performance.now();
  const trainer = await WgslTrainer.create(ctx, model, shape);
  await trainer.loadFrom(model, tf.train.adam(1e-3));
  const variant = variantWords(trainer.plan.variant);
  return { precision, variant, trainer, buildSeconds: (performance.now() - t0) / 1000, hostMs: 0, seconds: 0 };
}

try {
  await tf.setBackend('cpu');
  ctx = await openGpu({ flags, precision: 'f32' });
  const shape = { arch: values.arch, size, baseWidth: Number(values.width), batch, lossWeights: [1, 1, 1] };
  const model = buildModel(shape);
  const images = Float32Array.from({ length: batch * size * size }, (_, i) => Math.sin(i * 12.9898) % 1);
  const labels = Uint32Array.from({ length: batch * 3 }, (_, i) => (i * 7919) % [168, 11, 7][i % 3]);
  const warmup = async (r) => {
    for (let i = 0; i < Number(values.warmup); i++) r.loss = (await r.trainer.step(images, labels, 1e-3)).loss;
  };
  const measure = async (r) => {
    const c0 = { ...ctx.counters };
    const t1 = performance.now();
    r.loss = (await r.trainer.step(images, labels, 1e-3)).loss;
    r.seconds += (performance.now() - t1) / 1000;
    r.hostMs += r.trainer.plan.lastHostMs;
    r.dispatches = (r.dispatches ?? 0) + ctx.counters.dispatches - c0.dispatches;
    r.submits = (r.submits ?? 0) + ctx.counters.submits - c0.submits;
  };
  const precisions = values.variants.split(/\s+/).filter(Boolean);
  const plans = [];
  if (values['one-at-a-time'])
    for (const p of precisions) {
      const r = await planFor(p, model, shape);
      plans.push(r);
      if (!r.trainer) continue;
      await warmup(r);
      for (let i = 0; i < steps; i++) await measure(r);
      r.planMiB = r.trainer.plan.bytes / 2 ** 20;
      r.trainer.dispose();
    }
  else {
    for (const p of precisions) plans.push(await planFor(p, model, shape));
    const runs = plans.filter((p) => p.trainer);
    for (const r of runs) await warmup(r);
    // Round robin: every variant's steps see the same load.
    for (let i = 0; i < steps; i++) for (const r of runs) await measure(r);
    for (const r of runs) {
      r.planMiB = r.trainer.plan.bytes / 2 ** 20;
      r.trainer.dispose();
    }
  }
  const variants = plans.map((r) =>
    r.trainer
      ? {
          precision: r.precision,
          variant: r.variant,
          dispatchesPerStep: r.dispatches / steps,
          submitsPerStep: r.submits / steps,
          hostMsPerStep: r.hostMs / steps,
          imagesPerSec: (steps * batch) / r.seconds,
          secondsPerStep: r.seconds / steps,
          planMiB: r.planMiB,
          buildSeconds: r.buildSeconds,
          loss: r.loss,
        }
      : { precision: r.precision, error: r.error },
  );
  const first = variants.find((v) => !v.error) ?? { error: variants[0]?.error ?? 'no variant' };
  console.log(
    JSON.stringify({
      engine: 'wgsl',
      backend: values.backend,
      flags,
      adapter: ctx.adapter.name,
      cpuAdapter: ctx.adapter.cpu,
      features: ctx.adapter.features,
      arch: values.arch,
      size,
      batch,
      width: Number(values.width),
      steps,
      ...first,
      pipelines: ctx.pipelineCount,
      variants,
    }),
  );
} catch (err) {
  console.log(
    JSON.stringify({
      engine: 'wgsl',
      backend: values.backend,
      error: err instanceof Error ? err.message : String(err),
    }),
  );
} finally {
  ctx?.destroy();
  process.exit(0);
}

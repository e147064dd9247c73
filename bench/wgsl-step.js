// The wgsl engine's training step in its own process (Dawn's backend is chosen per process):
//   node bench/wgsl-step.js [--backend default|null|vulkan] [--flags "enable-dawn-features=..."]
//        [--arch resnet34] [--size 64] [--batch 32] [--width 64] [--steps N] [--warmup N]
// Prints one JSON line: adapter, features, dispatches and submits per step, host ms per step (start
// of the step to its submit), images/s, and the plan's build time. On the null backend nothing is
// computed, so only the host figures mean anything there.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../dist/main/train/model.js';
import { openGpu } from '../dist/main/train/webgpu/device.js';
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
try {
  await tf.setBackend('cpu');
  ctx = await openGpu({ flags });
  const model = buildModel({ arch: values.arch, size, baseWidth: Number(values.width) });
  const t0 = performance.now();
  const trainer = await WgslTrainer.create(ctx, model, {
    arch: values.arch,
    size,
    baseWidth: Number(values.width),
    batch,
    lossWeights: [1, 1, 1],
  });
  await trainer.loadFrom(model, tf.train.adam(1e-3));
  const buildSeconds = (performance.now() - t0) / 1000;
  const images = Float32Array.from({ length: batch * size * size }, (_, i) => Math.sin(i * 12.9898) % 1);
  const labels = Uint32Array.from({ length: batch * 3 }, (_, i) => (i * 7919) % [168, 11, 7][i % 3]);
  let loss = NaN;
  for (let i = 0; i < Number(values.warmup); i++) loss = (await trainer.step(images, labels, 1e-3)).loss;
  const before = { ...ctx.counters };
  let hostMs = 0;
  const t1 = performance.now();
  for (let i = 0; i < steps; i++) {
    loss = (await trainer.step(images, labels, 1e-3)).loss;
    hostMs += trainer.plan.lastHostMs;
  }
  const seconds = (performance.now() - t1) / 1000;
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
      dispatchesPerStep: (ctx.counters.dispatches - before.dispatches) / steps,
      submitsPerStep: (ctx.counters.submits - before.submits) / steps,
      hostMsPerStep: hostMs / steps,
      imagesPerSec: (steps * batch) / seconds,
      secondsPerStep: seconds / steps,
      pipelines: ctx.pipelineCount,
      planMiB: trainer.plan.bytes / 2 ** 20,
      buildSeconds,
      loss,
    }),
  );
  trainer.dispose();
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

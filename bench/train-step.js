// One engine's training throughput, in its own process (a tfjs backend is process-wide):
//   node bench/train-step.js ENGINE [--arch resnet34] [--size 64] [--batch 32] [--steps N] [--plain]
// Prints one JSON line: {engine, device, arch, size, batch, steps, imagesPerSec, secondsPerStep}.
// Uses the trainer's own model factory and training step on random data of the real shape.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectEngine } from '../dist/main/train/engines.js';
import { buildModel } from '../dist/main/train/model.js';
import { makeOptimizer, trainStep, trainingForward } from '../dist/main/train/trainer.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    arch: { type: 'string', default: 'resnet34' },
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    plain: { type: 'boolean', default: false },
  },
});
const engineName = positionals[0] ?? 'auto';
const size = Number(values.size);
const batch = Number(values.batch);
const steps = Number(values.steps);
try {
  const engine = await selectEngine(engineName);
  const model = buildModel({ arch: values.arch, size });
  // --plain: tfjs' own Adam, to measure what the native one gains.
  const optimizer = values.plain ? tf.train.adam(1e-3) : makeOptimizer(1e-3);
  const variables = model.trainableWeights.map((w) => w.read());
  const net = trainingForward(model, values.arch);
  const x = tf.randomNormal([batch, size, size, 1]);
  const labels = {
    root: tf.randomUniform([batch], 0, 168, 'int32'),
    vowel: tf.randomUniform([batch], 0, 11, 'int32'),
    consonant: tf.randomUniform([batch], 0, 7, 'int32'),
  };
  const step = async () => {
    const loss = trainStep(net, optimizer, variables, x, labels, [1, 1, 1]);
    const v = (await loss.data())[0];
    loss.dispose();
    if (!Number.isFinite(v)) throw new Error(`loss ${v}`);
  };
  for (let i = 0; i < Number(values.warmup); i++) await step();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) await step();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      engine: engine.name,
      device: engine.device,
      fusedBatchNorm: net.fused,
      optimizer: optimizer.constructor.name,
      arch: values.arch,
      size,
      batch,
      steps,
      imagesPerSec: (steps * batch) / seconds,
      secondsPerStep: seconds / steps,
      coresBusy: (cpu.user + cpu.system) / 1e6 / seconds,
    }),
  );
} catch (err) {
  console.log(JSON.stringify({ engine: engineName, error: err instanceof Error ? err.message : String(err) }));
}

import * as tf from '@tensorflow/tfjs';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src-main/train/config.js';
import {
  loadModel,
  loadOptimizerState,
  readState,
  saveCheckpoint,
  type TrainState,
} from '../../../src-main/train/checkpoint.js';
import { buildModel } from '../../../src-main/train/model.js';
import type { FromWorker } from '../../../src-main/train/protocol.js';
import { makeBatch, runTraining, trainingForward, trainStep } from '../../../src-main/train/trainer.js';
import { tempDir } from '../../helpers.js';
import { syntheticDataset } from './synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const engine = { engine: 'cpu', device: 'test', reason: 'test' };
const tiny = resolveConfig({ arch: 'resnet18', size: 32, baseWidth: 4, epochs: 1, batch: 2, engine: 'cpu' });

describe('training loop', () => {
  it('stops with a clear error when the loss is not finite, before writing a checkpoint', async () => {
    const dir = join(tempDir(), 'ckpt');
    const messages: FromWorker[] = [];
    // A zero standard deviation turns every normalized pixel into NaN/Infinity.
    const run = runTraining({
      config: tiny,
      train: syntheticDataset(4, 32),
      val: syntheticDataset(0, 32),
      engine,
      checkpointDir: dir,
      resumeFrom: null,
      normalization: { mean: 0.5, std: 0 },
      report: (m) => messages.push(m),
      shouldStop: () => false,
    });
    await expect(run).rejects.toThrow(/loss became NaN at epoch 1, batch 1 \(learning rate .*\); training stopped/);
    expect(existsSync(dir)).toBe(false);
    expect(messages.filter((m) => m.type === 'epoch')).toHaveLength(0);
  });

  it('leaves no tensors behind across epochs and checkpoints', async () => {
    const before = tf.memory().numTensors;
    const perEpoch: number[] = [];
    await runTraining({
      config: { ...tiny, epochs: 3, checkpointSeconds: 0 },
      train: syntheticDataset(4, 32),
      val: syntheticDataset(2, 32),
      engine,
      checkpointDir: join(tempDir(), 'last'),
      resumeFrom: null,
      normalization: { mean: 0.5, std: 0.3 },
      report: (m) => {
        if (m.type === 'epoch') perEpoch.push(tf.memory().numTensors);
      },
      shouldStop: () => false,
    });
    expect(perEpoch).toHaveLength(3);
    expect(new Set(perEpoch.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checkpoints by time: a short run once at its end; a due one mid-epoch, which resumes to the same end', async () => {
    const run = async (checkpointSeconds: number, dir: string, resumeFrom: TrainState | null = null) => {
      const saved: TrainState[] = [];
      const outcome = await runTraining({
        config: { ...tiny, epochs: 3, checkpointSeconds },
        train: syntheticDataset(4, 32),
        val: syntheticDataset(2, 32),
        engine,
        checkpointDir: dir,
        resumeFrom,
        normalization: { mean: 0.5, std: 0.3 },
        // Each 'checkpoint' message follows its write: what it says is on the disk.
        report: (m) => {
          if (m.type === 'checkpoint') saved.push(readState(dir));
        },
        shouldStop: () => false,
      });
      expect(outcome).toBe('done');
      return saved.map((s) => [s.epoch, s.batchInEpoch, s.step]);
    };
    // Two batches of two images per epoch, three epochs.
    expect(await run(120, join(tempDir(), 'last'))).toEqual([[3, 0, 6]]);
    expect(await run(0, join(tempDir(), 'last'))).toEqual([
      [1, 0, 2],
      [2, 0, 4],
      [3, 0, 6],
    ]);
    // Due at every batch: one inside each epoch (the batch to continue from) and one after it.
    const dir = join(tempDir(), 'last');
    const every = await run(1e-6, dir);
    expect(every).toEqual([
      [0, 1, 1],
      [1, 0, 2],
      [1, 1, 3],
      [2, 0, 4],
      [2, 1, 5],
      [3, 0, 6],
    ]);
    // From the mid-epoch checkpoint of epoch 2 (kept as the previous one), the run goes on to the same end.
    const mid = join(tempDir(), 'mid');
    cpSync(`${dir}.old`, mid, { recursive: true });
    expect(readState(mid)).toMatchObject({ epoch: 2, batchInEpoch: 1, step: 5 });
    expect(await run(120, mid, readState(mid))).toEqual([[3, 0, 6]]);
  });

  it('normalizes batches with the stored statistics', () => {
    const ds = syntheticDataset(2, 32);
    const { x, labels } = makeBatch(ds, [1], { mean: 0.5, std: 0.25 }, null);
    const v = x.dataSync();
    expect(x.shape).toEqual([1, 32, 32, 1]);
    expect(v[0]).toBeCloseTo((ds.pixels[1024]! / 255 - 0.5) / 0.25, 5);
    expect(labels.root.dataSync()[0]).toBe(1);
    tf.dispose([x, ...Object.values(labels)]);
  });
});

describe('checkpoints', () => {
  it('round-trip the model and the optimizer state', async () => {
    const dir = join(tempDir(), 'last');
    const model = buildModel({ arch: 'resnet18', size: 32, baseWidth: 4 });
    const optimizer = tf.train.adam(1e-3);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { x, labels } = makeBatch(syntheticDataset(2, 32), [0, 1], { mean: 0.5, std: 0.3 }, null);
    tf.dispose(trainStep(trainingForward(model, 'resnet18'), optimizer, variables, x, labels, [1, 1, 1]));
    const state = {
      config: tiny,
      epoch: 1,
      batchInEpoch: 0,
      step: 1,
      normalization: { mean: 0.5, std: 0.3 },
      savedAt: 1,
    };
    await saveCheckpoint(dir, model, optimizer, state);
    expect(readState(dir)).toEqual(state);

    const before = (model.predict(x) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
    const loaded = await loadModel(dir);
    const after = (loaded.predict(x) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
    expect(after).toEqual(before);

    const restored = tf.train.adam(1e-3);
    // In this process the loaded model's variables get suffixed names (the first model holds the plain ones).
    expect(loaded.trainableWeights.some((w) => (w.read() as tf.Variable).name !== w.originalName)).toBe(true);
    const names = loaded.trainableWeights.map((w) => w.originalName);
    // Reversed order: state is matched by variable name, not by position.
    await loadOptimizerState(dir, restored, [...names].reverse());
    const got = await restored.getWeights();
    const want = await optimizer.getWeights();
    expect(got).toHaveLength(want.length);
    const firstName = `${names.at(-1)}/m`;
    const a = got.find((w) => w.name === firstName)!.tensor.dataSync();
    const b = want.find((w) => w.name === `${variables.at(-1)!.name}/m`)!.tensor.dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    await expect(loadOptimizerState(dir, tf.train.adam(1e-3), ['nope/kernel'])).rejects.toThrow(
      'has no nope/kernel/m: it belongs to another model',
    );
  });
});

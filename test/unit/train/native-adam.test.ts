/**
 * The native engine's optimized step (fused batch norm + one ResourceApplyAdam
 * per variable) against the plain tfjs step (model.apply + tf.train.adam):
 * same loss, same updated weights; and its state round-trips through a
 * checkpoint in tfjs Adam's format, on the native engine and the other way.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLASS_COUNTS, COMPONENTS } from '../../../src-main/contract/domain.js';
import { loadOptimizerState, saveCheckpoint } from '../../../src-main/train/checkpoint.js';
import { resolveConfig } from '../../../src-main/train/config.js';
import { selectEngine } from '../../../src-main/train/engines.js';
import { buildModel } from '../../../src-main/train/model.js';
import { NativeAdam } from '../../../src-main/train/native-adam.js';
import { makeOptimizer, trainStep, trainingForward, type TrainingForward } from '../../../src-main/train/trainer.js';

const nativeWorks =
  spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  }).status === 0;

const dir = mkdtempSync(join(tmpdir(), 'gs-native-adam-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = { arch: 'resnet18', size: 32, baseWidth: 8 } as const;
const x = () => tf.randomNormal([8, 32, 32, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
const labels = () =>
  Object.fromEntries(
    COMPONENTS.map((c, i) => [c, tf.randomUniform([8], 0, CLASS_COUNTS[c], 'int32', 2 + i) as tf.Tensor1D]),
  ) as Record<(typeof COMPONENTS)[number], tf.Tensor1D>;

const plain = (model: tf.LayersModel): TrainingForward => ({
  forward: (input) => model.apply(input, { training: true }) as tf.Tensor[],
  afterStep: () => {},
  fused: false,
});

async function steps(model: tf.LayersModel, net: TrainingForward, opt: tf.Optimizer, n: number) {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const losses: number[] = [];
  for (let i = 0; i < n; i++) {
    const [input, y] = [x(), labels()];
    const loss = trainStep(net, opt, vars, input, y, [1, 1, 1]);
    losses.push((await loss.data())[0]!);
    tf.dispose([loss, input, ...Object.values(y)]);
  }
  return losses;
}

/**
 * Relative L2 difference, over all the weights, between what two paths'
 * updates did to the same starting weights. Not elementwise and not per
 * variable: Adam's first step is about lr * sign(gradient), and a gradient
 * near zero may take either sign when the two forwards round differently (with
 * threads, from run to run); one such flip in a variable of eight weights would
 * dominate that variable. A wrong gradient or update moves the whole sum.
 */
function updateGap(start: tf.LayersModel, a: tf.LayersModel, b: tf.LayersModel): number {
  let num = 0;
  let den = 0;
  start.trainableWeights.forEach((w, i) => {
    const s = w.read().dataSync();
    const p = a.trainableWeights[i]!.read().dataSync();
    const q = b.trainableWeights[i]!.read().dataSync();
    for (let j = 0; j < s.length; j++) {
      num += (p[j]! - q[j]!) ** 2;
      den += (p[j]! - s[j]!) ** 2;
    }
  });
  return Math.sqrt(num / (den + 1e-30));
}

/** The largest change of any weight between two models. */
function moved(a: tf.LayersModel, b: tf.LayersModel): number {
  let most = 0;
  a.trainableWeights.forEach((w, i) => {
    const p = w.read().dataSync();
    const q = b.trainableWeights[i]!.read().dataSync();
    for (let j = 0; j < p.length; j++) most = Math.max(most, Math.abs(p[j]! - q[j]!));
  });
  return most;
}

function twin(model: tf.LayersModel): tf.LayersModel {
  const copy = buildModel(CONFIG);
  copy.setWeights(model.getWeights());
  return copy;
}

describe.runIf(nativeWorks)('native Adam', () => {
  it('one optimized step equals one plain tfjs step: loss and updated weights', async () => {
    await selectEngine('tensorflow');
    const reference = buildModel(CONFIG);
    const fast = twin(reference);
    const before = twin(reference);
    const opt = makeOptimizer(1e-3);
    expect(opt).toBeInstanceOf(NativeAdam);
    const [want] = await steps(reference, plain(reference), tf.train.adam(1e-3), 1);
    const [got] = await steps(fast, trainingForward(fast, 'resnet18'), opt, 1);
    expect(got).toBeCloseTo(want!, 4);
    // The step moved the weights (Adam's first step: about the learning rate), and both paths alike.
    expect(moved(before, reference)).toBeGreaterThan(5e-4);
    expect(updateGap(before, reference, fast)).toBeLessThan(0.01);
    opt.dispose();
  });

  it('three steps with the plain forward match tfjs Adam (bias correction and epsilon included)', async () => {
    await selectEngine('tensorflow');
    const reference = buildModel(CONFIG);
    const native = twin(reference);
    const start = twin(reference);
    const want = await steps(reference, plain(reference), tf.train.adam(1e-2), 3);
    const got = await steps(native, plain(native), new NativeAdam(1e-2), 3);
    got.forEach((l, i) => expect(l).toBeCloseTo(want[i]!, 3));
    expect(updateGap(start, reference, native)).toBeLessThan(1e-3);
  });

  it('its state saves in tfjs Adam format and resumes on either optimizer', async () => {
    await selectEngine('tensorflow');
    const model = buildModel(CONFIG);
    const native = new NativeAdam(1e-3);
    await steps(model, plain(model), native, 2);
    const state = {
      config: resolveConfig(CONFIG),
      epoch: 0,
      batchInEpoch: 2,
      step: 2,
      normalization: { mean: 0, std: 1 },
      savedAt: 0,
    };
    const ckpt = join(dir, 'run');
    await saveCheckpoint(ckpt, model, native, state);
    const names = model.trainableWeights.map((w) => w.originalName);
    const [a, b, start] = [twin(model), twin(model), twin(model)];
    const resumedNative = new NativeAdam(1e-3);
    const resumedPlain = tf.train.adam(1e-3);
    await loadOptimizerState(ckpt, resumedNative, names);
    await loadOptimizerState(ckpt, resumedPlain, names);
    expect(resumedNative.iterations).toBe(2);
    const [l1] = await steps(a, plain(a), resumedNative, 1);
    const [l2] = await steps(b, plain(b), resumedPlain, 1);
    expect(l1).toBeCloseTo(l2!, 4);
    // Moments carried over: a fresh Adam's first step would move every weight by the full rate.
    expect(updateGap(start, a, b)).toBeLessThan(1e-3);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) (await native.getWeights())[0]!.tensor.dispose(); // the iteration scalar is the caller's
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 1); // the last export stays until the next one
    for (const o of [native, resumedNative, resumedPlain]) o.dispose();
  });
});

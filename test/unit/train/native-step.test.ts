/** The fused-batch-norm training path of the native engine against the model's own (tfjs-layers) path. */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLASS_COUNTS, COMPONENTS } from '../../../src-main/contract/domain.js';
import { selectEngine } from '../../../src-main/train/engines.js';
import { buildModel } from '../../../src-main/train/model.js';
import { nativeTrainingForward } from '../../../src-main/train/native-step.js';

const nativeWorks =
  spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  }).status === 0;

describe.runIf(nativeWorks)('native training forward', () => {
  // At 64x64 the last stage is 2x2, where the convolutions run as one matrix product (native-step.ts).
  it.each([32, 64])('gives the same loss, gradients and moving statistics as model.apply at %i px', async (size) => {
    await selectEngine('tensorflow');
    const model = buildModel({ arch: 'resnet18', size, baseWidth: 8 });
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const x = tf.randomNormal([8, size, size, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const labels = COMPONENTS.map((c, i) => tf.randomUniform([8], 0, CLASS_COUNTS[c], 'int32', 2 + i) as tf.Tensor1D);
    const loss = (logits: tf.Tensor[]) =>
      tf.addN(
        COMPONENTS.map((c, i) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels[i]!, CLASS_COUNTS[c]), logits[i]!)),
      ) as tf.Scalar;
    const movingMean = () => model.getLayer('s2b1_a_bn').getWeights()[2]!.dataSync().slice();

    const slow = tf.variableGrads(() => loss(model.apply(x, { training: true }) as tf.Tensor[]), vars);
    const slowMean = movingMean();
    const mm = model.getLayer('s2b1_a_bn').weights[2]!.read() as tf.Variable;
    mm.assign(tf.zerosLike(mm)); // back to the initial moving mean

    const { forward, updateMovingStats } = nativeTrainingForward(model, 'resnet18');
    const fast = tf.variableGrads(() => loss(forward(x)), vars);
    updateMovingStats();
    expect(fast.value.dataSync()[0]).toBeCloseTo(slow.value.dataSync()[0]!, 4);
    const moved = movingMean();
    for (let i = 0; i < moved.length; i++) expect(moved[i]).toBeCloseTo(slowMean[i]!, 4);
    expect(Math.max(...Array.from(moved, Math.abs))).toBeGreaterThan(0);

    // Relu gates and max-pool ties flip with rounding, so compare gradients by relative L2 error.
    const errors = Object.keys(slow.grads).map((k) => {
      const a = slow.grads[k]!.dataSync();
      const b = fast.grads[k]!.dataSync();
      let num = 0;
      let den = 0;
      for (let i = 0; i < a.length; i++) {
        num += (a[i]! - b[i]!) ** 2;
        den += a[i]! ** 2;
      }
      return Math.sqrt(num / (den + 1e-30));
    });
    expect(errors).toHaveLength(vars.length);
    expect(Math.max(...errors)).toBeLessThan(0.05);
  });
});

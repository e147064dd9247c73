/**
 * The recipe inside the real training loop (native engine where it loads): renders mixed into every
 * batch (one pass over the labeled images per epoch, half of each batch rendered), and batch norm's
 * moving statistics re-estimated on the labeled images as their plain average at the end.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../../src-main/train/checkpoint.js';
import { resolveConfig } from '../../../src-main/train/config.js';
import type { Dataset } from '../../../src-main/train/data.js';
import { selectEngine } from '../../../src-main/train/engines.js';
import type { FromWorker } from '../../../src-main/train/protocol.js';
import { runTraining } from '../../../src-main/train/trainer.js';
import { tempDir } from '../../helpers.js';
import { syntheticDataset } from './synthetic.js';

const nativeWorks =
  spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  }).status === 0;
if (!nativeWorks) console.log('@tensorflow/tfjs-node does not load here: the recipe training tests are skipped');

/** 40 black renders (ids below the labeled images'). */
const blankRenders = () => syntheticDataset(40, 32, { pixel: () => 0, firstId: -40 });
const engine = { engine: 'tensorflow', device: 'test', reason: 'test' };

async function train(config: Partial<ReturnType<typeof resolveConfig>>, renders: Dataset | null) {
  const dir = join(tempDir(), 'ckpt');
  const messages: FromWorker[] = [];
  await runTraining({
    config: resolveConfig({
      arch: 'resnet18',
      size: 32,
      baseWidth: 4,
      epochs: 1,
      batch: 8,
      engine: 'tensorflow',
      ...config,
    }),
    train: syntheticDataset(24, 32),
    val: syntheticDataset(0, 32, { firstId: 100 }),
    renders,
    engine,
    checkpointDir: dir,
    resumeFrom: null,
    normalization: { mean: 0.5, std: 0.3 },
    report: (m) => messages.push(m),
    shouldStop: () => false,
  });
  return { dir, messages };
}

describe.runIf(nativeWorks)('the recipe in the training loop', () => {
  it('mixes renders into every batch: twice the batches for one pass over the labeled images', async () => {
    await selectEngine('tensorflow');
    const renders = blankRenders();
    const plain = await train({ synthMix: 0.5 }, null);
    const mixed = await train({ synthMix: 0.5 }, renders);
    const steps = (m: FromWorker[]) => m.filter((x) => x.type === 'checkpoint').at(-1);
    expect(steps(plain.messages)).toMatchObject({ step: 3 });
    expect(steps(mixed.messages)).toMatchObject({ step: 6 });
  });

  it('re-estimates batch norm on the labeled images alone', async () => {
    await selectEngine('tensorflow');
    // Blank renders pull the moving statistics away from the labeled images'.
    const renders = blankRenders();
    const { dir } = await train({ synthMix: 0.5, bnRecalibrate: true }, renders);
    const model = await loadModel(dir);
    const moving = model.getLayer('stem_bn').getWeights()[2]!.dataSync();
    // Three full batches of 8 labeled images: the average of their batch means is the mean over all 24.
    const real = syntheticDataset(24, 32);
    const x = tf.tidy(() => tf.tensor4d(real.pixels, [24, 32, 32, 1]).div(255).sub(0.5).div(0.3));
    const want = tf.tidy(() => tf.mean(model.getLayer('stem_conv').apply(x) as tf.Tensor4D, [0, 1, 2]).dataSync());
    for (let i = 0; i < want.length; i++) expect(moving[i]).toBeCloseTo(want[i]!, 3);
    tf.dispose(x);
    model.dispose();
  });
});

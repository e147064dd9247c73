/**
 * The layers -> ONNX conversion on models the factory builds, with every
 * weight (batch-norm statistics included) randomized so that a wrong
 * transpose, pad or fold shows, run by onnxruntime against TensorFlow.js.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readLayersModel } from '../../../src-main/export/layers-model.js';
import { encodeModel } from '../../../src-main/export/onnx-proto.js';
import { convertLayersModel } from '../../../src-main/export/to-onnx.js';
import { buildModel, type ModelConfig } from '../../../src-main/train/model.js';
import { tempDir } from '../../helpers.js';

async function saveRandomized(model: tf.LayersModel, dir: string, seed: number) {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  model.setWeights(
    model.weights.map((w) => {
      const n = w.shape.reduce((a, b) => a! * b!, 1)!;
      // Variances must stay positive; other weights centred on zero, scaled to keep activations sane.
      const positive = /moving_variance|gamma/.test(w.name);
      const fanIn = w.shape.length > 1 ? w.shape.slice(0, -1).reduce((a, b) => a! * b!, 1)! : 1;
      const values = Float32Array.from({ length: n }, () =>
        positive ? 0.5 + rand() : (rand() - 0.5) * (w.shape.length > 1 ? 2 * Math.sqrt(3 / fanIn) : 0.4),
      );
      return tf.tensor(values, w.shape as number[]);
    }),
  );
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (art) => {
      writeFileSync(join(dir, 'weights.bin'), Buffer.from(art.weightData as ArrayBuffer));
      writeFileSync(
        join(dir, 'model.json'),
        JSON.stringify({
          modelTopology: art.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(art) };
    }),
  );
}

async function maxDiff(config: ModelConfig, batch: number) {
  const model = buildModel(config);
  const dir = tempDir('gs-onnx-');
  await saveRandomized(model, dir, 7);
  const graph = convertLayersModel(readLayersModel(dir), { outputNames: ['root', 'vowel', 'consonant'] });
  const bytes = encodeModel({ graphName: 'g', producerVersion: 't', docString: '', metadata: { a: 'b' }, ...graph });
  const session = await ort.InferenceSession.create(bytes);
  expect(session.inputNames).toEqual(['image']);
  expect(session.outputNames).toEqual(['root', 'vowel', 'consonant']);

  const n = config.size * config.size;
  const x = Float32Array.from({ length: batch * n }, (_, i) => Math.sin(i * 0.37) * 1.5);
  const expected = tf.tidy(() =>
    (model.predict(tf.tensor4d(x, [batch, config.size, config.size, 1])) as tf.Tensor[]).map((t) => tf.softmax(t)),
  );
  // One channel: NCHW and NHWC hold the same bytes.
  const got = await session.run({ image: new ort.Tensor('float32', x, [batch, 1, config.size, config.size]) });
  let worst = 0;
  const heads = ['root', 'vowel', 'consonant'] as const;
  for (const [i, head] of heads.entries()) {
    const want = (await expected[i]!.data()) as Float32Array;
    const have = got[head]!.data as Float32Array;
    expect(have.length).toBe(want.length);
    for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(want[j]! - have[j]!));
  }
  // The probabilities must say something: a broken graph that outputs near-uniform values would match poorly anyway,
  // but check the model is not trivially flat so the comparison has teeth.
  const root = (await expected[0]!.data()) as Float32Array;
  expect(Math.max(...root)).toBeGreaterThan(2 / 168);
  tf.dispose([...expected]);
  model.dispose();
  await session.release();
  return worst;
}

describe('TF.js layers -> ONNX', () => {
  it('matches TensorFlow.js on a ResNet-34 at an odd input size (asymmetric SAME pads)', async () => {
    expect(await maxDiff({ arch: 'resnet34', size: 45, baseWidth: 4 }, 3)).toBeLessThan(1e-5);
  });

  it('matches on a ResNet-18 with other class counts and width', async () => {
    expect(await maxDiff({ arch: 'resnet18', size: 64, baseWidth: 6, classes: [20, 5, 3] }, 2)).toBeLessThan(1e-5);
  });
});

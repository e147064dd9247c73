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

/**
 * Largest probability difference between TensorFlow.js and onnxruntime on the
 * same input; `logits[i]` says whether output i still needs a softmax in tfjs.
 */
async function maxDiff(model: tf.LayersModel, names: string[], logits: boolean[], batch: number) {
  const dir = tempDir('gs-onnx-');
  await saveRandomized(model, dir, 7);
  const graph = convertLayersModel(readLayersModel(dir), { outputNames: names });
  const bytes = encodeModel({ graphName: 'g', producerVersion: 't', docString: '', metadata: { a: 'b' }, ...graph });
  const session = await ort.InferenceSession.create(bytes);
  expect(session.inputNames).toEqual(['image']);
  expect(session.outputNames).toEqual(names);

  const [h, w, c] = model.inputs[0]!.shape.slice(1) as number[];
  const nhwc = Float32Array.from({ length: batch * h! * w! * c! }, (_, i) => Math.sin(i * 0.37) * 1.5);
  // onnxruntime gets the same batch in NCHW.
  const nchw = new Float32Array(nhwc.length);
  for (let n = 0; n < batch; n++)
    for (let y = 0; y < h!; y++)
      for (let x = 0; x < w!; x++)
        for (let k = 0; k < c!; k++) nchw[((n * c! + k) * h! + y) * w! + x] = nhwc[((n * h! + y) * w! + x) * c! + k]!;
  const expected = tf.tidy(() =>
    (model.predict(tf.tensor4d(nhwc, [batch, h!, w!, c!])) as tf.Tensor[]).map((t, i) =>
      logits[i] ? tf.softmax(t) : t,
    ),
  );
  const got = await session.run({ image: new ort.Tensor('float32', nchw, [batch, c!, h!, w!]) });
  let worst = 0;
  for (const [i, head] of names.entries()) {
    const want = (await expected[i]!.data()) as Float32Array;
    const have = got[head]!.data as Float32Array;
    expect(have.length).toBe(want.length);
    for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(want[j]! - have[j]!));
    // Not a flat output: the comparison would have little to catch.
    expect(Math.max(...want)).toBeGreaterThan(1.5 / (want.length / batch));
  }
  tf.dispose([...expected]);
  model.dispose();
  await session.release();
  return worst;
}

const factory = (config: ModelConfig) =>
  maxDiff(buildModel(config), ['root', 'vowel', 'consonant'], [true, true, true], 3);

/** Layers the factory does not use, in a graph of odd shapes and three channels. */
function zoo(): tf.LayersModel {
  const L = tf.layers;
  const S = (t: unknown) => t as tf.SymbolicTensor;
  const input = tf.input({ shape: [13, 11, 3], name: 'image' });
  const a = S(
    L.conv2d({
      filters: 5,
      kernelSize: [3, 2],
      strides: [2, 1],
      padding: 'same',
      activation: 'relu',
      name: 'c1',
    }).apply(input),
  );
  const bn = S(L.batchNormalization({ name: 'bn1', epsilon: 1e-3 }).apply(a));
  const c2 = S(L.conv2d({ filters: 4, kernelSize: 1, padding: 'valid', name: 'c2' }).apply(bn));
  const cat = S(L.concatenate({ name: 'cat' }).apply([bn, c2]));
  const r = S(L.reLU({ name: 'r' }).apply(cat));
  const c3 = S(
    L.conv2d({ filters: 9, kernelSize: 3, dilationRate: 2, padding: 'same', useBias: false, name: 'c3' }).apply(r),
  );
  const sum = S(L.add({ name: 'sum' }).apply([r, c3]));
  const ap = S(L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'ap' }).apply(sum));
  const mp = S(L.maxPooling2d({ poolSize: 2, strides: 1, padding: 'valid', name: 'mp' }).apply(ap));
  const f = S(L.flatten({ name: 'fl' }).apply(S(L.dropout({ rate: 0.5, name: 'do' }).apply(mp))));
  const h1 = S(L.dense({ units: 6, activation: 'softmax', name: 'h1' }).apply(f));
  const g = S(L.globalMaxPooling2d({ name: 'gmp' }).apply(sum));
  const h2 = S(L.dense({ units: 4, useBias: false, name: 'h2' }).apply(g));
  return tf.model({ inputs: input, outputs: [h1, h2] });
}

describe('TF.js layers -> ONNX', () => {
  it('matches TensorFlow.js on a ResNet-34 at an odd input size (asymmetric SAME pads)', async () => {
    expect(await factory({ arch: 'resnet34', size: 45, baseWidth: 4 })).toBeLessThan(1e-5);
  });

  it('matches on a ResNet-18 with other class counts and width', async () => {
    expect(await factory({ arch: 'resnet18', size: 64, baseWidth: 6, classes: [20, 5, 3] })).toBeLessThan(1e-5);
  });

  it('matches on other layers: conv with bias and activation, lone batch norm, concat, dilation, pooling, flatten, dropout', async () => {
    expect(await maxDiff(zoo(), ['a', 'b'], [false, true], 2)).toBeLessThan(1e-5);
  });
});

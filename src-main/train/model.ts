/**
 * ResNet with three classification heads (root, vowel, consonant) on a
 * 1-channel input. Built from standard tfjs-layers layers only, so that a
 * checkpoint is a plain TF.js LayersModel that loads without this code.
 * The heads output logits: softmax is applied in the loss (numerically
 * stable) and at prediction time.
 */
import * as tf from '@tensorflow/tfjs';
import { CLASS_COUNTS } from '../contract/domain.js';
import type { Arch } from './config.js';

export const STAGES: Record<Arch, readonly number[]> = {
  resnet18: [2, 2, 2, 2],
  resnet34: [3, 4, 6, 3],
};
export const HEADS = ['root', 'vowel', 'consonant'] as const;

export interface ModelConfig {
  arch: Arch;
  size: number;
  baseWidth?: number;
  classes?: readonly [number, number, number];
}

// PyTorch's BatchNorm defaults (tfjs defaults to momentum 0.99, epsilon 1e-3).
const BN = { momentum: 0.9, epsilon: 1e-5 };

function convBn(x: tf.SymbolicTensor, filters: number, kernel: number, stride: number, name: string) {
  const conv = tf.layers
    .conv2d({
      filters,
      kernelSize: kernel,
      strides: stride,
      padding: 'same',
      useBias: false,
      kernelInitializer: 'heNormal',
      name: `${name}_conv`,
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.layers.batchNormalization({ ...BN, name: `${name}_bn` }).apply(conv) as tf.SymbolicTensor;
}

const relu = (x: tf.SymbolicTensor, name: string) =>
  tf.layers.activation({ activation: 'relu', name }).apply(x) as tf.SymbolicTensor;

function basicBlock(x: tf.SymbolicTensor, filters: number, stride: number, name: string) {
  let y = relu(convBn(x, filters, 3, stride, `${name}_a`), `${name}_a_relu`);
  y = convBn(y, filters, 3, 1, `${name}_b`);
  const inFilters = x.shape[3];
  const shortcut = stride !== 1 || inFilters !== filters ? convBn(x, filters, 1, stride, `${name}_down`) : x;
  const sum = tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
  return relu(sum, `${name}_out`);
}

export function validateModelConfig(config: ModelConfig): void {
  if (!(config.arch in STAGES))
    throw new Error(`unknown arch ${JSON.stringify(config.arch)}; use resnet34 or resnet18`);
  if (!Number.isInteger(config.size) || config.size < 32)
    throw new Error(`size must be an integer >= 32, got ${config.size}`);
  const w = config.baseWidth ?? 64;
  if (!Number.isInteger(w) || w < 1) throw new Error(`baseWidth must be a positive integer, got ${w}`);
}

/** Builds an untrained model; nothing is built at import time. */
export function buildModel(config: ModelConfig): tf.LayersModel {
  validateModelConfig(config);
  const width = config.baseWidth ?? 64;
  const classes = config.classes ?? [CLASS_COUNTS.root, CLASS_COUNTS.vowel, CLASS_COUNTS.consonant];
  const input = tf.input({ shape: [config.size, config.size, 1], name: 'image' });
  let x = relu(convBn(input, width, 7, 2, 'stem'), 'stem_relu');
  x = tf.layers
    .maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'stem_pool' })
    .apply(x) as tf.SymbolicTensor;
  STAGES[config.arch].forEach((blocks, stage) => {
    for (let b = 0; b < blocks; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      x = basicBlock(x, width * 2 ** stage, stride, `s${stage + 1}b${b + 1}`);
    }
  });
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const outputs = HEADS.map(
    (head, i) => tf.layers.dense({ units: classes[i]!, name: `${head}_logits` }).apply(pooled) as tf.SymbolicTensor,
  );
  return tf.model({ inputs: input, outputs, name: `${config.arch}_x3` });
}

export function countTrainable(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}

/**
 * One training step's pieces shared by the loop and the engines: a batch from
 * dataset rows, the training forward pass (the native engine's fused one where
 * it runs), and one optimizer step on the summed, weighted cross-entropy.
 */
import * as tf from '@tensorflow/tfjs';
import { CLASS_COUNTS, COMPONENTS } from '../contract/domain.js';
import { augment, DEFAULT_AUGMENT, STRONG_AUGMENT } from './augment.js';
import type { TrainConfig } from './config.js';
import type { Dataset } from './data.js';
import { NativeAdam } from './native-adam.js';
import { nativeTrainingForward } from './native-step.js';

/** Fills an NHWC float batch from dataset rows, augmented or not, normalized; and its labels. */
export function batchArrays(
  ds: Dataset,
  rows: readonly number[],
  norm: { mean: number; std: number },
  random: (() => number) | null,
  strong = false,
): { images: Float32Array; labels: Record<(typeof COMPONENTS)[number], Int32Array> } {
  const n = ds.size * ds.size;
  const buf = new Float32Array(rows.length * n);
  const tmp = new Float32Array(n);
  const scale = 1 / (255 * norm.std);
  const shiftBy = norm.mean / norm.std;
  rows.forEach((r, i) => {
    const src = ds.pixels.subarray(r * n, (r + 1) * n);
    if (random) augment(src, ds.size, tmp, random, strong ? STRONG_AUGMENT : DEFAULT_AUGMENT);
    else for (let j = 0; j < n; j++) tmp[j] = src[j]!;
    const off = i * n;
    for (let j = 0; j < n; j++) buf[off + j] = tmp[j]! * scale - shiftBy;
  });
  const pick = (a: Int32Array) => Int32Array.from(rows, (r) => a[r]!);
  return { images: buf, labels: { root: pick(ds.root), vowel: pick(ds.vowel), consonant: pick(ds.consonant) } };
}

/** batchArrays as tensors. */
export function makeBatch(
  ds: Dataset,
  rows: readonly number[],
  norm: { mean: number; std: number },
  random: (() => number) | null,
  strong = false,
): { x: tf.Tensor4D; labels: Record<(typeof COMPONENTS)[number], tf.Tensor1D> } {
  const { images, labels } = batchArrays(ds, rows, norm, random, strong);
  const t = (a: Int32Array) => tf.tensor1d(a, 'int32');
  return {
    x: tf.tensor4d(images, [rows.length, ds.size, ds.size, 1]),
    labels: { root: t(labels.root), vowel: t(labels.vowel), consonant: t(labels.consonant) },
  };
}

/** The forward pass used for training, and what must happen after each optimizer step. */
export interface TrainingForward {
  forward(x: tf.Tensor4D): tf.Tensor[];
  /** Folds the last forward's batch statistics into the moving ones (with `weight`: see native-step.ts). */
  afterStep(weight?: number): void;
  /** True when batch norm runs as single native TensorFlow ops (native-step.ts). */
  fused: boolean;
}

/** The model's own training forward, or on the native engine the fused-batch-norm one. */
export function trainingForward(model: tf.LayersModel, arch: TrainConfig['arch']): TrainingForward {
  if (tf.getBackend() === 'tensorflow') {
    const { forward, updateMovingStats } = nativeTrainingForward(model, arch);
    return { forward, afterStep: (weight) => updateMovingStats(weight), fused: true };
  }
  return { forward: (x) => model.apply(x, { training: true }) as tf.Tensor[], afterStep: () => {}, fused: false };
}

/** Adam; on the native engine one TensorFlow op per variable instead of 14 (native-adam.ts). */
export function makeOptimizer(lr: number): tf.Optimizer {
  return tf.getBackend() === 'tensorflow' ? new NativeAdam(lr) : tf.train.adam(lr);
}

/**
 * One optimizer step on a batch: the summed, weighted cross-entropy of the
 * three heads. Returns the loss; when `heads` is given, each head's own
 * cross-entropy is pushed onto it (the caller disposes them).
 */
export function trainStep(
  net: TrainingForward,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  x: tf.Tensor4D,
  labels: Record<(typeof COMPONENTS)[number], tf.Tensor1D>,
  lossWeights: readonly [number, number, number],
  heads?: tf.Scalar[],
  labelSmoothing = 0,
): tf.Scalar {
  const loss = optimizer.minimize(
    () => {
      const logits = net.forward(x);
      const ce = COMPONENTS.map((c, i) =>
        tf.losses.softmaxCrossEntropy(tf.oneHot(labels[c], CLASS_COUNTS[c]), logits[i]!, undefined, labelSmoothing),
      );
      if (heads) for (const t of ce) heads.push(tf.keep(t.clone()) as tf.Scalar);
      return tf.addN(ce.map((t, i) => tf.mul(t, lossWeights[i]!))) as tf.Scalar;
    },
    true,
    variables,
  )!;
  net.afterStep();
  return loss;
}

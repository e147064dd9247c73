/**
 * A faster training forward pass for the native engine. tfjs-layers trains
 * BatchNormalization with ~10 separate elementwise ops forward (moments,
 * normalize) and ~20 backward (autodiff of each), every one a full pass over
 * the activations; with 36 BN layers that is most of a ResNet-34 step on CPU.
 * Here each BN is one TensorFlow FusedBatchNormV3 op forward and one
 * FusedBatchNormGradV3 backward, called through the tfjs-node backend (and
 * ReLU's gradient is TensorFlow's ReluGrad). The
 * model's own variables are used, so the LayersModel stays the saved and
 * exported artifact and its inference path is unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { STAGES } from './model.js';
import type { Arch } from './config.js';

interface NativeBackend {
  binding: {
    TF_ATTR_TYPE: number;
    TF_ATTR_FLOAT: number;
    TF_ATTR_STRING: number;
    TF_ATTR_BOOL: number;
    TF_FLOAT: number;
  };
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.Tensor[], n: number): tf.Tensor[];
}

const EPSILON = 1e-5; // the model's BatchNormalization epsilon (model.ts)

function attrs(b: NativeBackend) {
  const { binding: n } = b;
  return [
    { name: 'T', type: n.TF_ATTR_TYPE, value: n.TF_FLOAT },
    { name: 'U', type: n.TF_ATTR_TYPE, value: n.TF_FLOAT },
    { name: 'epsilon', type: n.TF_ATTR_FLOAT, value: EPSILON },
    { name: 'data_format', type: n.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: n.TF_ATTR_BOOL, value: true },
  ];
}

export interface BatchStats {
  movingMean: tf.Variable;
  movingVariance: tf.Variable;
  momentum: number;
  mean: tf.Tensor;
  variance: tf.Tensor;
}

/** Training-mode batch norm in one native op; records the batch statistics for the moving averages. */
function fusedBatchNorm(
  b: NativeBackend,
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  stats: (m: tf.Tensor, v: tf.Tensor) => void,
) {
  const f = tf.customGrad(((xx: tf.Tensor, g: tf.Tensor, o: tf.Tensor, save: tf.GradSaveFunc) => {
    const empty = tf.tensor1d([], 'float32');
    const [y, mean, variance, r1, r2, r3] = b.executeMultipleOutputs(
      'FusedBatchNormV3',
      attrs(b),
      [xx, g, o, empty, empty],
      6,
    );
    stats(tf.keep(mean!), tf.keep(variance!));
    save([xx, g, r1!, r2!, r3!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, s1, s2, s3] = saved;
        const [dx, dg, dbeta] = b.executeMultipleOutputs(
          'FusedBatchNormGradV3',
          attrs(b),
          [dy, sx!, sg!, s1!, s2!, s3!],
          5,
        );
        return [dx!, dg!, dbeta!];
      },
    };
  }) as never);
  return f(x, gamma, beta) as tf.Tensor4D;
}

/** ReLU whose gradient is TensorFlow's ReluGrad (one pass) instead of tfjs' step + multiply (three ops). */
function relu(b: NativeBackend, x: tf.Tensor4D): tf.Tensor4D {
  const f = tf.customGrad(((xx: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = tf.relu(xx);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        b.executeMultipleOutputs(
          'ReluGrad',
          [{ name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }],
          [dy, saved[0]!],
          1,
        )[0]!,
    };
  }) as never);
  return f(x) as tf.Tensor4D;
}

/**
 * For each (input position, output position) pair of a 2x2 map, in that
 * order, the 3x3 tap that connects them: with 'same' padding every pair is
 * connected, so the convolution is one dense matrix of 4x4 blocks.
 */
const TAPS_2X2 = [0, 1, 2, 3].flatMap((ip) =>
  [0, 1, 2, 3].map((op) => ((ip >> 1) - (op >> 1) + 1) * 3 + ((ip & 1) - (op & 1) + 1)),
);

/**
 * A 3x3 'same' convolution of a 2x2 map (ResNet-34's last stage at 64x64
 * input) as one matrix product: [B, 4C] x [4C, 4K], the kernel's taps gathered
 * into the 4x4 blocks. TensorFlow's convolutions spend most of their time on
 * the padding there: measured 48 ms of CPU forward + backward per 512-channel
 * layer against 67 ms for Conv2D and its two gradients, the same results
 * within 1e-6. Autodiff through gather/transpose/matMul gives the gradients.
 */
function conv2x2AsMatMul(x: tf.Tensor4D, kernel: tf.Tensor4D, taps: tf.Tensor1D): tf.Tensor4D {
  const [b, , , c] = x.shape;
  const k = kernel.shape[3];
  const blocks = tf.gather(tf.reshape(kernel, [9, c, k]), taps); // [input pos x output pos, C, K]
  const dense = tf.reshape(tf.transpose(tf.reshape(blocks, [4, 4, c, k]), [0, 2, 1, 3]), [4 * c, 4 * k]);
  return tf.reshape(tf.matMul(tf.reshape(x, [b, 4 * c]), dense), [b, 2, 2, k]);
}

/** The layer's variable whose name ends in `/suffix` (kernel, bias, gamma, beta, moving_mean, ...). */
function weight(model: tf.LayersModel, layer: string, suffix: string): tf.Variable {
  const w = model.getLayer(layer).weights.find((v) => v.originalName.endsWith(`/${suffix}`));
  if (!w) throw new Error(`layer ${layer} has no ${suffix}`);
  return w.read() as tf.Variable;
}

/**
 * Returns a training forward pass (image batch -> three logits) over the
 * model's variables, plus `updateMovingStats` to call after the optimizer step.
 * Only for the 'tensorflow' backend.
 */
export function nativeTrainingForward(model: tf.LayersModel, arch: Arch) {
  const backend = tf.backend() as unknown as NativeBackend;
  if (tf.getBackend() !== 'tensorflow' || typeof backend.executeMultipleOutputs !== 'function')
    throw new Error('the native training path needs the tensorflow backend');
  const pending: BatchStats[] = [];
  const has = (name: string) => model.layers.some((l) => l.name === name);
  const momentum = (name: string) => (model.getLayer(name).getConfig().momentum as number) ?? 0.9;

  const taps = tf.tensor1d(TAPS_2X2, 'int32');
  const conv = (x: tf.Tensor4D, kernel: tf.Tensor4D, stride: number) =>
    stride === 1 && x.shape[1] === 2 && x.shape[2] === 2 && kernel.shape[0] === 3 && kernel.shape[1] === 3
      ? conv2x2AsMatMul(x, kernel, taps)
      : tf.conv2d(x, kernel, stride, 'same');

  const convBn = (x: tf.Tensor4D, name: string) => {
    const config = model.getLayer(`${name}_conv`).getConfig() as { strides: number[] };
    const y = conv(x, weight(model, `${name}_conv`, 'kernel') as tf.Tensor4D, config.strides[0]!);
    const bn = `${name}_bn`;
    return fusedBatchNorm(backend, y, weight(model, bn, 'gamma'), weight(model, bn, 'beta'), (mean, variance) =>
      pending.push({
        movingMean: weight(model, bn, 'moving_mean'),
        movingVariance: weight(model, bn, 'moving_variance'),
        momentum: momentum(bn),
        mean,
        variance,
      }),
    );
  };

  const forward = (x: tf.Tensor4D): tf.Tensor[] => {
    let h = tf.maxPool(relu(backend, convBn(x, 'stem')), 3, 2, 'same');
    STAGES[arch].forEach((blocks, stage) => {
      for (let b = 0; b < blocks; b++) {
        const name = `s${stage + 1}b${b + 1}`;
        const y = convBn(relu(backend, convBn(h, `${name}_a`)), `${name}_b`);
        const shortcut = has(`${name}_down_conv`) ? convBn(h, `${name}_down`) : h;
        h = relu(backend, tf.add(y, shortcut) as tf.Tensor4D);
      }
    });
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    return ['root', 'vowel', 'consonant'].map((head) =>
      tf.add(
        tf.matMul(pooled, weight(model, `${head}_logits`, 'kernel') as tf.Tensor2D),
        weight(model, `${head}_logits`, 'bias'),
      ),
    );
  };

  /**
   * moving = moving * momentum + batch * (1 - momentum), as tfjs-layers and PyTorch do; with `weight`,
   * moving = moving * (1 - weight) + batch * weight (weight 1/k over k batches: their plain average).
   */
  const updateMovingStats = (weight?: number) => {
    tf.tidy(() => {
      for (const s of pending) {
        const keep = weight === undefined ? s.momentum : 1 - weight;
        s.movingMean.assign(tf.add(tf.mul(s.movingMean, keep), tf.mul(s.mean, 1 - keep)));
        s.movingVariance.assign(tf.add(tf.mul(s.movingVariance, keep), tf.mul(s.variance, 1 - keep)));
      }
    });
    tf.dispose(pending.flatMap((s) => [s.mean, s.variance]));
    pending.length = 0;
  };
  return { forward, updateMovingStats };
}

/**
 * Batch norm (+ReLU, +residual) forward and backward, max-pool and its
 * gradient, global average pool, the heads with softmax cross-entropy, and
 * Adam: each WGSL kernel against the tfjs cpu backend on random inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bnApply,
  bnScratchFloats,
  bnStats,
  type BnShape,
} from '../../../../src-main/train/webgpu/batchnorm-forward.js';
import { bnGradApply, bnGradReduce } from '../../../../src-main/train/webgpu/batchnorm-backward.js';
import {
  avgPoolBackward,
  avgPoolForward,
  maxPoolBackward,
  maxPoolForward,
  poolGeometry,
} from '../../../../src-main/train/webgpu/pool.js';
import {
  headsForward,
  headsInputGrad,
  headsWeightGrad,
  softmaxCrossEntropy,
  type HeadsShape,
} from '../../../../src-main/train/webgpu/heads.js';
import { adam, TFJS_ADAM } from '../../../../src-main/train/webgpu/adam.js';
import { randomArray, relError, runGraph, tryGpu } from './gpu.js';

const { ctx } = await tryGpu();
const TOL = 2e-5;
// lavapipe compiles each new pipeline with LLVM on first use: tens of seconds on a loaded machine.
const COMPILE = 300_000;

describe.skipIf(!ctx)('layer kernels (WGSL vs tfjs cpu)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => ctx?.destroy());

  for (const relu of [true, false])
    it(
      `batch norm forward and backward${relu ? ' + residual + ReLU' : ''}, 70 channels, 3 row splits`,
      async () => {
        const [n, H, W, C] = [2, 8, 8, 70];
        const s: BnShape = { C, HW: H * W, splits: 3, epsilon: 1e-5, momentum: 0.9 };
        const size = n * H * W * C;
        const x = Float32Array.from(randomArray(size, 1), (v) => v * 3 + 0.5);
        const res = randomArray(size, 2);
        const dout = randomArray(size, 3);
        const params = new Float32Array(4 + 2 * C);
        params.set(randomArray(C, 4), 4);
        params.set(randomArray(C, 5), 4 + C);
        const state = Float32Array.from(randomArray(2 * C, 6), (v) => Math.abs(v));
        const p = { gamma: 4, beta: 4 + C, movingMean: 0, movingVar: C };
        const got = await runGraph(
          ctx!,
          n,
          {
            x,
            res,
            dout,
            params,
            state,
            scratch: bnScratchFloats(s),
            out: size,
            dx: size,
            dres: size,
            grads: params.length,
          },
          [
            [bnStats(s), ['x', 'scratch']],
            [bnApply(s, p, { relu, residual: relu }), ['x', 'scratch', 'params', 'res', 'out', 'state']],
            [bnGradReduce(s, relu), ['dout', 'out', 'x', 'scratch']],
            [
              bnGradApply(s, p, { relu, writeDy: true }),
              ['dout', 'out', 'x', 'scratch', 'params', 'dx', 'dres', 'grads'],
            ],
          ],
        );
        const T = (a: Float32Array, shape: number[]) => tf.tensor(a, shape);
        const gamma = T(params.slice(4, 4 + C), [C]);
        const beta = T(params.slice(4 + C), [C]);
        const f = (xv: tf.Tensor, g: tf.Tensor, b: tf.Tensor, r: tf.Tensor) => {
          const { mean, variance } = tf.moments(xv, [0, 1, 2]);
          let y = tf.add(tf.mul(tf.div(tf.sub(xv, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
          if (relu) y = tf.relu(tf.add(y, r));
          return y;
        };
        const xT = T(x, [n, H, W, C]);
        const resT = T(res, [n, H, W, C]);
        const want = f(xT, gamma, beta, resT).dataSync();
        expect(relError(got.out!, want)).toBeLessThan(TOL);
        // Without the residual add, the residual is not an input of f.
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d?: tf.Tensor) =>
          tf.sum(tf.mul(f(a, b, c, d ?? resT), T(dout, [n, H, W, C]))),
        )(relu ? [xT, gamma, beta, resT] : [xT, gamma, beta]);
        expect(relError(got.dx!, grads[0]!.dataSync())).toBeLessThan(1e-4);
        expect(relError(got.grads!.subarray(4, 4 + C), grads[1]!.dataSync())).toBeLessThan(1e-4);
        expect(relError(got.grads!.subarray(4 + C), grads[2]!.dataSync())).toBeLessThan(1e-4);
        if (relu) expect(relError(got.dres!, grads[3]!.dataSync())).toBeLessThan(TOL);
        const { mean, variance } = tf.moments(xT, [0, 1, 2]);
        const wantMean = tf.add(tf.mul(T(state.slice(0, C), [C]), 0.9), tf.mul(mean, 0.1)).dataSync();
        const wantVar = tf.add(tf.mul(T(state.slice(C), [C]), 0.9), tf.mul(variance, 0.1)).dataSync();
        expect(relError(got.state!.subarray(0, C), wantMean)).toBeLessThan(TOL);
        expect(relError(got.state!.subarray(C), wantVar)).toBeLessThan(1e-4);
      },
      COMPILE,
    );

  it(
    'max-pool 3x3/2 and its gradient (ties after a ReLU go to the first maximum, as on tfjs cpu)',
    async () => {
      const [n, H, W, C] = [2, 9, 8, 5];
      const g = poolGeometry({ H, W, C, K: 3, stride: 2 });
      // Half the values are exactly 0, as after a ReLU.
      const x = Float32Array.from(randomArray(n * H * W * C, 7), (v) => Math.max(v, 0));
      const outSize = n * g.OH * g.OW * C;
      const dout = randomArray(outSize, 8);
      const got = await runGraph(ctx!, n, { x, dout, out: outSize, arg: outSize, dx: x.length }, [
        [maxPoolForward(g), ['x', 'out', 'arg']],
        [maxPoolBackward(g), ['dout', 'arg', 'dx']],
      ]);
      const xT = tf.tensor4d(x, [n, H, W, C]);
      expect(relError(got.out!, tf.maxPool(xT, 3, 2, 'same').dataSync())).toBeLessThan(TOL);
      const dx = tf.grad((a: tf.Tensor) =>
        tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same'), tf.tensor(dout, [n, g.OH, g.OW, C]))),
      )(xT);
      expect(relError(got.dx!, dx.dataSync())).toBeLessThan(TOL);
    },
    COMPILE,
  );

  it(
    'global average pool and its gradient',
    async () => {
      const [n, H, W, C] = [3, 3, 2, 7];
      const x = randomArray(n * H * W * C, 9);
      const dpooled = randomArray(n * C, 10);
      const got = await runGraph(ctx!, n, { x, dpooled, pooled: n * C, dx: x.length }, [
        [avgPoolForward(H * W, C), ['x', 'pooled']],
        [avgPoolBackward(H * W, C), ['dpooled', 'dx']],
      ]);
      const xT = tf.tensor4d(x, [n, H, W, C]);
      expect(relError(got.pooled!, tf.mean(xT, [1, 2]).dataSync())).toBeLessThan(TOL);
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, [1, 2]), tf.tensor(dpooled, [n, C]))))(xT);
      expect(relError(got.dx!, dx.dataSync())).toBeLessThan(TOL);
    },
    COMPILE,
  );

  it(
    'three dense heads, weighted softmax cross-entropy and their gradients',
    async () => {
      const n = 5;
      const C = 12;
      const classes = [168, 11, 7] as const;
      const kernels = [0, 0, 0] as [number, number, number];
      const biases = [0, 0, 0] as [number, number, number];
      let off = 3;
      classes.forEach((j, h) => {
        kernels[h] = off;
        off += C * j;
        biases[h] = off;
        off += j;
      });
      const h: HeadsShape = { C, classes, kernels, biases, lossWeights: [1, 0.5, 2] };
      const params = randomArray(off, 11);
      const pooled = randomArray(n * C, 12);
      const labels = Uint32Array.from({ length: n * 3 }, (_, i) => (i * 37) % classes[i % 3]!);
      const J = 186;
      const got = await runGraph(
        ctx!,
        n,
        { pooled, params, labels, logits: n * J, dlogits: n * J, loss: 4, grads: off, dpooled: n * C },
        [
          [headsForward(h), ['pooled', 'params', 'logits']],
          [softmaxCrossEntropy(h), ['logits', 'labels', 'dlogits', 'loss']],
          [headsWeightGrad(h), ['pooled', 'dlogits', 'grads']],
          [headsInputGrad(h), ['dlogits', 'params', 'dpooled']],
        ],
      );
      const vars = classes.flatMap((j, i) => [
        tf.tensor2d(params.slice(kernels[i]!, kernels[i]! + C * j), [C, j]),
        tf.tensor1d(params.slice(biases[i]!, biases[i]! + j)),
      ]);
      const pooledT = tf.tensor2d(pooled, [n, C]);
      const heads = (p: tf.Tensor, v: tf.Tensor[]) =>
        classes.map((j, i) => {
          const logits = tf.add(tf.matMul(p as tf.Tensor2D, v[2 * i] as tf.Tensor2D), v[2 * i + 1]!);
          const lab = tf.tensor1d(
            Int32Array.from({ length: n }, (_, k) => labels[k * 3 + i]!),
            'int32',
          );
          return tf.losses.softmaxCrossEntropy(tf.oneHot(lab, j), logits) as tf.Scalar;
        });
      const ces = heads(pooledT, vars).map((t) => t.dataSync()[0]!);
      expect(relError(got.loss!.subarray(0, 3), ces)).toBeLessThan(1e-5);
      expect(got.loss![3]).toBeCloseTo(ces[0]! + 0.5 * ces[1]! + 2 * ces[2]!, 4);
      const total = (p: tf.Tensor, ...v: tf.Tensor[]) => {
        const [a, b, c] = heads(p, v);
        return tf.addN([a!, tf.mul(b!, 0.5), tf.mul(c!, 2)]) as tf.Scalar;
      };
      const g = tf.grads(total)([pooledT, ...vars]);
      expect(relError(got.dpooled!, g[0]!.dataSync())).toBeLessThan(1e-4);
      classes.forEach((j, i) => {
        expect(relError(got.grads!.subarray(kernels[i]!, kernels[i]! + C * j), g[1 + 2 * i]!.dataSync())).toBeLessThan(
          1e-4,
        );
        expect(relError(got.grads!.subarray(biases[i]!, biases[i]! + j), g[2 + 2 * i]!.dataSync())).toBeLessThan(1e-4);
      });
    },
    COMPILE,
  );

  it(
    'Adam over a flat buffer with gradient slots matches tf.train.adam over three steps',
    async () => {
      const P = 1000;
      const slots = 3;
      const lr = 0.01;
      const p0 = randomArray(P, 13);
      const gradsSteps = [0, 1, 2].map((s) => randomArray(P * slots, 20 + s));
      const optimizer = tf.train.adam(lr);
      const v = tf.variable(tf.tensor1d(p0));
      let state: Record<string, Float32Array> = { params: p0, m: new Float32Array(P), v: new Float32Array(P) };
      for (let t = 1; t <= 3; t++) {
        const g = gradsSteps[t - 1]!;
        const summed = Float32Array.from({ length: P }, (_, i) => g[i]! + g[P + i]! + g[2 * P + i]!);
        optimizer.applyGradients([{ name: v.name, tensor: tf.tensor1d(summed) }]);
        const out = await runGraph(
          ctx!,
          1,
          { params: state.params!, grads: g, m: state.m!, v: state.v! },
          [[adam(P, slots, TFJS_ADAM), ['params', 'grads', 'm', 'v']]],
          [lr, 1 - 0.9 ** t, 1 - 0.999 ** t],
        );
        state = { params: out.params!, m: out.m!, v: out.v! };
      }
      expect(relError(state.params!, v.dataSync())).toBeLessThan(1e-5);
    },
    COMPILE,
  );
});

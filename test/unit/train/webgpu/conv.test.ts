/** The three convolution kernels against the tfjs cpu backend, on random inputs. */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convGeometry, type ConvShape } from '../../../../src-main/train/webgpu/conv-shape.js';
import { convForward } from '../../../../src-main/train/webgpu/conv-forward.js';
import { convInputGrad } from '../../../../src-main/train/webgpu/conv-input-grad.js';
import { convFilterGrad } from '../../../../src-main/train/webgpu/conv-filter-grad.js';
import { randomArray, relError, runKernel, tryGpu } from './gpu.js';

const { ctx } = await tryGpu();

// The model's shapes, narrow: stem 7x7/2 on 1 channel, 3x3/1, 3x3/2 and 1x1/2 downsampling, odd sides.
const CASES: (ConvShape & { n: number })[] = [
  { n: 2, H: 16, W: 16, CI: 1, CO: 8, K: 7, stride: 2 },
  { n: 3, H: 8, W: 8, CI: 8, CO: 8, K: 3, stride: 1 },
  { n: 2, H: 9, W: 7, CI: 8, CO: 16, K: 3, stride: 2 },
  { n: 2, H: 8, W: 8, CI: 8, CO: 16, K: 1, stride: 2 },
  { n: 1, H: 5, W: 5, CI: 70, CO: 66, K: 3, stride: 1 },
];
const OFFSET = 12; // filters never start at 0 in the flat buffer
const TOL = 1e-5;

describe.skipIf(!ctx)('convolution kernels (WGSL vs tfjs cpu)', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => ctx?.destroy());

  for (const c of CASES) {
    const g = convGeometry(c);
    const name = `${c.K}x${c.K}/${c.stride} ${c.CI}->${c.CO} on ${c.n}x${c.H}x${c.W}`;
    const x = randomArray(c.n * c.H * c.W * c.CI, 1);
    const w = randomArray(g.weights, 2);
    const dy = randomArray(c.n * g.OH * g.OW * c.CO, 3);
    const params = new Float32Array(OFFSET + g.weights);
    params.set(w, OFFSET);
    const xT = () => tf.tensor4d(x, [c.n, c.H, c.W, c.CI]);
    const wT = () => tf.tensor4d(w, [c.K, c.K, c.CI, c.CO]);
    const dyT = () => tf.tensor4d(dy, [c.n, g.OH, g.OW, c.CO]);

    it(`forward ${name}`, async () => {
      const want = tf.tidy(() => tf.conv2d(xT(), wT(), c.stride, 'same')).dataSync();
      const [, , y] = await runKernel(ctx!, convForward(g, OFFSET), c.n, [x, params, want.length]);
      expect(relError(y!, want)).toBeLessThan(TOL);
    });

    it(`input gradient ${name} (and accumulating onto what dx holds)`, async () => {
      const want = tf.tidy(() => tf.conv2dTranspose(dyT(), wT(), [c.n, c.H, c.W, c.CI], c.stride, 'same')).dataSync();
      const [, , dx] = await runKernel(ctx!, convInputGrad(g, OFFSET, false), c.n, [dy, params, x.length]);
      expect(relError(dx!, want)).toBeLessThan(TOL);
      const prior = randomArray(x.length, 9);
      const [, , acc] = await runKernel(ctx!, convInputGrad(g, OFFSET, true), c.n, [dy, params, prior.slice()]);
      expect(
        relError(
          acc!,
          Float32Array.from(want, (v, i) => v + prior[i]!),
        ),
      ).toBeLessThan(TOL);
    });

    it.runIf(c.K === 3 && c.stride === 2)(
      `${name} with shapes baked into the WGSL (specialized, as on a GPU)`,
      async () => {
        ctx!.specialize = true;
        try {
          const want = tf.tidy(() => tf.conv2d(xT(), wT(), c.stride, 'same')).dataSync();
          const [, , y] = await runKernel(ctx!, convForward(g, OFFSET), c.n, [x, params, want.length]);
          expect(relError(y!, want)).toBeLessThan(TOL);
          const wantDx = tf
            .tidy(() => tf.conv2dTranspose(dyT(), wT(), [c.n, c.H, c.W, c.CI], c.stride, 'same'))
            .dataSync();
          const [, , dx] = await runKernel(ctx!, convInputGrad(g, OFFSET, false), c.n, [dy, params, x.length]);
          expect(relError(dx!, wantDx)).toBeLessThan(TOL);
        } finally {
          ctx!.specialize = false;
        }
      },
    );

    for (const split of [1, 3]) {
      it(`filter gradient ${name}, reduction split ${split} ways`, async () => {
        const want = tf
          .tidy(() =>
            tf.grad((wv: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xT(), wv as tf.Tensor4D, c.stride, 'same'), dyT())))(
              wT(),
            ),
          )
          .dataSync();
        const slot = OFFSET + g.weights + 4;
        const [, , grads] = await runKernel(ctx!, convFilterGrad(g, OFFSET, slot, split), c.n, [x, dy, slot * 4]);
        const sum = new Float32Array(g.weights);
        for (let z = 0; z < 4; z++) for (let i = 0; i < g.weights; i++) sum[i]! += grads![z * slot + OFFSET + i]!;
        expect(relError(sum, want)).toBeLessThan(TOL);
        // Slices beyond the split are never written.
        expect(grads!.subarray(split * slot).every((v) => v === 0)).toBe(true);
      });
    }
  }
});

import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { AUTO_ORDER, probeEngines, selectEngine, selfCheck } from '../../../src-main/train/engines.js';

const require = createRequire(import.meta.url);
const installed = (pkg: string) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

async function on(backend: string, f: () => tf.Tensor): Promise<number[]> {
  await tf.setBackend(backend);
  const t = f();
  const d = Array.from(await t.data());
  t.dispose();
  return d;
}

/** An unbuilt @tensorflow/tfjs-node resolves but does not load: ask a real process. */
const nativeWorks =
  spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  }).status === 0;

describe('wasm training kernels', () => {
  it('Conv2DBackpropFilter/Input and MaxPoolGrad match the cpu reference', async () => {
    await selectEngine('wasm');
    const cases: [number, number, number][] = [
      [9, 3, 2],
      [8, 3, 1],
      [8, 1, 2],
      [16, 7, 2],
    ];
    for (const [h, k, s] of cases) {
      const setup = () => {
        const x = tf.randomUniform([2, h, h, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
        const w = tf.randomUniform([k, k, 3, 4], -1, 1, 'float32', 2) as tf.Tensor4D;
        const shape = tf.conv2d(x, w, s, 'same').shape;
        const dy = tf.randomUniform(shape, -1, 1, 'float32', 3);
        return { x, w, dy };
      };
      const grads = {
        filter: () => {
          const { x, w, dy } = setup();
          return tf.grad((ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, ww as tf.Tensor4D, s, 'same'), dy)))(w);
        },
        input: () => {
          const { x, w, dy } = setup();
          return tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, w, s, 'same'), dy)))(x);
        },
        maxPool: () => {
          const { x } = setup();
          const dy = tf.randomUniform(tf.maxPool(x, 3, 2, 'same').shape, -1, 1, 'float32', 4);
          return tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xx as tf.Tensor4D, 3, 2, 'same'), dy)))(x);
        },
      };
      for (const [name, g] of Object.entries(grads)) {
        const got = await on('wasm', g);
        const want = await on('cpu', g);
        const worst = Math.max(...got.map((v, i) => Math.abs(v - want[i]!)));
        expect(worst, `${name} h=${h} k=${k} s=${s}`).toBeLessThan(1e-4);
      }
    }
  });
});

describe('engine selection', () => {
  it('cpu always loads and passes its self-check', async () => {
    const e = await selectEngine('cpu');
    expect(e).toMatchObject({ name: 'cpu', backend: 'cpu', reason: 'cpu requested' });
    expect(e.device).toContain('pure JavaScript');
  });
  it('auto picks the first engine that works and says what it skipped', async () => {
    const e = await selectEngine('auto');
    expect(e.reason).toMatch(/^auto: \w+ is the fastest engine that loads and passes the self-check/);
    if (nativeWorks) expect(e.name).toBe('tensorflow');
    else expect(e.reason).toContain('skipped tensorflow:');
    if (e.name === 'wasm') expect(e.reason).toContain('webgpu:');
  });
  it.skipIf(installed('webgpu'))('an engine that is not installed fails with the reason', async () => {
    await expect(selectEngine('webgpu')).rejects.toThrow(/engine webgpu is not available: .*webgpu/);
  });
  it('the probe says of every engine whether it runs here, and why not', async () => {
    process.env.GRAPHEME_HIDE_ENGINES = 'tensorflow';
    try {
      const { engine, options } = await probeEngines();
      expect(options.map((o) => o.engine)).toEqual(AUTO_ORDER);
      expect(options.find((o) => o.engine === 'tensorflow')).toMatchObject({
        available: false,
        note: 'hidden by GRAPHEME_HIDE_ENGINES',
      });
      expect(options.find((o) => o.engine === 'cpu')).toMatchObject({ available: true, gpu: false });
      expect(options.find((o) => o.engine === engine.name)).toMatchObject({ available: true, note: engine.device });
      // The probe leaves the engine auto picked as the active backend.
      expect(tf.getBackend()).toBe(engine.backend);
      if (!installed('webgpu')) expect(options.find((o) => o.engine === 'webgpu')).toMatchObject({ available: false });
    } finally {
      delete process.env.GRAPHEME_HIDE_ENGINES;
    }
  });
  it.runIf(nativeWorks)('the native engine trains and agrees with the reference', async () => {
    const e = await selectEngine('tensorflow');
    expect(e.device).toContain('libtensorflow');
    await expect(selfCheck('tensorflow')).resolves.toBeUndefined();
  });
});

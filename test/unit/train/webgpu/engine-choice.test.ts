/**
 * How the wgsl engine is chosen and sized: `auto` passes over a CPU adapter
 * (lavapipe) and says why, `--engine wgsl` forces it, and a batch whose
 * buffers exceed what the GPU binds fails with the batch that fits.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectEngine } from '../../../../src-main/train/engines.js';
import { buildModel } from '../../../../src-main/train/model.js';
import { openGpu } from '../../../../src-main/train/webgpu/device.js';
import { setWgslContext, WgslTrainer, wgslContext } from '../../../../src-main/train/webgpu/engine.js';
import { variantWords } from '../../../../src-main/train/webgpu/kernel.js';
import { tryGpu } from './gpu.js';

const { ctx } = await tryGpu();

describe.skipIf(!ctx)('choosing and sizing the wgsl engine', { timeout: 300_000 }, () => {
  afterAll(() => {
    setWgslContext(null);
    ctx?.destroy();
  });

  it('auto takes wgsl only on a real GPU adapter and records why; --engine wgsl forces it', async () => {
    const auto = await selectEngine('auto');
    if (ctx!.adapter.cpu) {
      expect(auto.name).not.toBe('wgsl');
      expect(auto.reason).toContain('skipped wgsl: the only WebGPU adapter is a CPU one');
    } else expect(auto.name).toBe('wgsl');
    const forced = await selectEngine('wgsl');
    expect(forced).toMatchObject({ name: 'wgsl', reason: 'wgsl requested', gpu: !ctx!.adapter.cpu });
    expect(forced.device).toMatch(/own WGSL kernels via Dawn; validation on tfjs \w+/);
    // The kernel variant (all the adapter offers, unless GRAPHEME_WGSL_PRECISION says otherwise) is shown.
    expect(forced.device).toContain(`; ${variantWords(wgslContext().variant)})`);
    // The device the training loop will build its plan on.
    expect(wgslContext().adapter.name).toBe(ctx!.adapter.name);
    wgslContext().destroy();
  });

  it('a batch whose activations exceed the binding limit fails naming the batch that fits', async () => {
    await tf.setBackend('cpu');
    // 1 MiB per binding: the stem's output (16 x 16 x 8 floats per image at 32x32) holds 128 images.
    // The f32 plan (in the f16 one the stem's output is half the size and its f32 gradient is the largest).
    const small = await openGpu({ maxBindingBytes: 2 ** 20, precision: 'f32' });
    try {
      const shape = {
        arch: 'resnet18' as const,
        size: 32,
        baseWidth: 8,
        lossWeights: [1, 1, 1] as [number, number, number],
      };
      const model = buildModel(shape);
      await expect(WgslTrainer.create(small, model, { ...shape, batch: 200 })).rejects.toThrow(
        /^batch 200 does not fit on .* \(the stem out buffer needs 1\.6 MiB; this GPU binds at most 1\.0 MiB\); batch 128 does: train with --batch 128$/,
      );
      const fits = await WgslTrainer.create(small, model, { ...shape, batch: 128 });
      expect(fits.plan.config.batch).toBe(128);
      fits.dispose();
    } finally {
      small.destroy();
    }
  });
});

/**
 * The wgsl engine inside the real training loop (runTraining): a stop writes a
 * checkpoint that a tfjs engine resumes (and the other way round), and a
 * device lost mid-run fails the run with a clear message while the last
 * epoch's checkpoint stays resumable.
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readState } from '../../../../src-main/train/checkpoint.js';
import { resolveConfig } from '../../../../src-main/train/config.js';
import type { FromWorker } from '../../../../src-main/train/protocol.js';
import { runTraining, type TrainJob } from '../../../../src-main/train/trainer.js';
import { openGpu } from '../../../../src-main/train/webgpu/device.js';
import { setWgslContext } from '../../../../src-main/train/webgpu/engine.js';
import { tempDir } from '../../../helpers.js';
import { syntheticDataset } from '../synthetic.js';
import { tryGpu } from './gpu.js';

const { ctx } = await tryGpu();

/** Not the default ramp: a second term across rows, so that the images differ beyond a shift. */
const netData = (n: number) => syntheticDataset(n, 32, { pixel: (i) => (i * 37 + (i >> 7)) % 256 });
// A checkpoint after every epoch: the device-lost case needs epoch 1's.
const config = resolveConfig({
  arch: 'resnet18',
  size: 32,
  baseWidth: 8,
  epochs: 2,
  batch: 4,
  engine: 'wgsl',
  checkpointSeconds: 0,
});
const WGSL = { engine: 'wgsl', device: 'lavapipe', reason: 'test' };
const CPU = { engine: 'cpu', device: 'test', reason: 'test' };

function job(dir: string, engine: typeof WGSL, over: Partial<TrainJob> = {}): TrainJob & { messages: FromWorker[] } {
  const messages: FromWorker[] = [];
  return {
    config,
    train: netData(8),
    val: netData(4),
    engine,
    checkpointDir: dir,
    resumeFrom: null,
    normalization: { mean: 120, std: 70 },
    report: (m) => messages.push(m),
    shouldStop: () => false,
    messages,
    ...over,
  };
}

describe.skipIf(!ctx)('the wgsl engine in the training loop', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    setWgslContext(ctx);
  });
  afterAll(() => {
    setWgslContext(null);
    ctx?.destroy();
  });

  it('a stopped wgsl run resumes on the cpu engine, and a stopped cpu run resumes on wgsl', async () => {
    for (const [first, second] of [
      [WGSL, CPU],
      [CPU, WGSL],
    ] as const) {
      const dir = join(tempDir(), 'last');
      let calls = 0;
      const a = job(dir, first, { shouldStop: () => ++calls === 3 });
      expect(await runTraining(a)).toBe('stopped');
      const state = readState(dir);
      expect({ epoch: state.epoch, batchInEpoch: state.batchInEpoch, step: state.step }).toEqual({
        epoch: 1,
        batchInEpoch: 0,
        step: 2,
      });
      const b = job(dir, second, { resumeFrom: state });
      expect(await runTraining(b)).toBe('done');
      const epochs = b.messages.filter((m) => m.type === 'epoch');
      expect(epochs.map((m) => m.epoch)).toEqual([2]);
      const last = epochs[0]!;
      expect(last.type === 'epoch' && Number.isFinite(last.val?.loss)).toBe(true);
      expect(readState(dir).step).toBe(4);
    }
  });

  it('a device lost mid-run fails it with a clear message; the last checkpoint resumes elsewhere', async () => {
    const own = await openGpu();
    setWgslContext(own);
    const dir = join(tempDir(), 'last');
    const a = job(dir, WGSL, {
      report: (m) => {
        // After epoch 1's checkpoint, the GPU goes away (as in a driver reset).
        if (m.type === 'checkpoint') own.device.destroy();
      },
    });
    await expect(runTraining(a)).rejects.toThrow(/GPU device was lost.*Resume the run/);
    setWgslContext(ctx);
    const state = readState(dir);
    expect(state.epoch).toBe(1);
    expect(await runTraining(job(dir, CPU, { resumeFrom: state }))).toBe('done');
  });
});

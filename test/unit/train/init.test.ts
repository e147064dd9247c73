import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readState } from '../../../src-main/train/checkpoint.js';
import { resolveConfig } from '../../../src-main/train/config.js';
import { emptyDataset } from '../../../src-main/train/data.js';
import { resolveInit } from '../../../src-main/service/training/init-source.js';
import { runTraining } from '../../../src-main/train/trainer.js';
import { toFloat16 } from '../../../src-main/train/compact.js';
import { ROOT, tempDir } from '../../helpers.js';

const shipped = (arch: string) => join(ROOT, 'resources', 'pretrained', `${arch}-64`);
const has = (arch: string) => existsSync(join(shipped(arch), 'state.json'));
if (!has('resnet18')) console.log('resources/pretrained/resnet18-64 is missing: the shipped-weights tests are skipped');

function weightsOf(dir: string): Record<string, Float32Array> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const buf = readFileSync(join(dir, 'weights.bin'));
  const map = tf.io.decodeWeights(
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length),
    json.weightsManifest[0].weights,
  );
  return Object.fromEntries(Object.entries(map).map(([k, t]) => [k, t.dataSync() as Float32Array]));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('init', () => {
  it.skipIf(!has('resnet18'))(
    'a run started from the shipped weights holds exactly them before its first step',
    async () => {
      const config = resolveConfig({ arch: 'resnet18', size: 64, epochs: 1, batch: 1 });
      const initDir = resolveInit(config, () => null);
      expect(initDir).toBe(shipped('resnet18')); // auto: shipped weights fit resnet18 at 64
      const train = {
        ...emptyDataset(64),
        ids: Int32Array.of(1),
        pixels: new Uint8Array(64 * 64),
        root: Int32Array.of(0),
        vowel: Int32Array.of(0),
        consonant: Int32Array.of(0),
      };
      const dir = join(tempDir('gs-init-'), 'last');
      const ended = await runTraining({
        config,
        train,
        val: emptyDataset(64),
        engine: { engine: 'cpu', device: 'test', reason: 'test' },
        checkpointDir: dir,
        resumeFrom: null,
        initDir,
        normalization: readState(initDir!).normalization,
        report: () => {},
        shouldStop: () => true, // checkpoint before the first step
      });
      expect(ended).toBe('stopped');
      const got = weightsOf(dir);
      const want = weightsOf(shipped('resnet18'));
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      // Byte equality (a deep equal over 11M floats would take minutes).
      const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      for (const [name, values] of Object.entries(want))
        expect(bytes(got[name]!).equals(bytes(values)), name).toBe(true);
    },
  );

  it.skipIf(!has('resnet18'))('scratch and another width do not take the shipped weights; pretrained insists', () => {
    expect(resolveInit(resolveConfig({ arch: 'resnet18', init: 'scratch' }), () => null)).toBeNull();
    expect(resolveInit(resolveConfig({ arch: 'resnet18', baseWidth: 8 }), () => null)).toBeNull();
    expect(() =>
      resolveInit(resolveConfig({ arch: 'resnet18', baseWidth: 8, init: 'pretrained' }), () => null),
    ).toThrow(/no shipped weights for resnet18 at 64x64 with base width 8/);
    // An init of another architecture is refused with the field.
    expect(() => resolveInit(resolveConfig({ arch: 'resnet34', init: 'run:1' }), () => shipped('resnet18'))).toThrow(
      /arch is resnet18, the run's is resnet34/,
    );
  });

  it('float16 conversion rounds like IEEE (checked against known bit patterns)', () => {
    expect(toFloat16(1)).toBe(0x3c00);
    expect(toFloat16(-2)).toBe(0xc000);
    expect(toFloat16(65504)).toBe(0x7bff);
    expect(toFloat16(1e6)).toBe(0x7c00);
    expect(toFloat16(2 ** -24)).toBe(0x0001);
    expect(toFloat16(0.1)).toBe(0x2e66);
    expect(toFloat16(1 + 2 ** -11)).toBe(0x3c00); // tie to even
    expect(toFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });
});

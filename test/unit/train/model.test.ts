import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, countTrainable } from '../../../src-main/train/model.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('model factory', () => {
  it('ResNet-34 x3 heads on 1-channel input has 21,373,818 trainable parameters', () => {
    const m = buildModel({ arch: 'resnet34', size: 64 });
    expect(countTrainable(m)).toBe(21_373_818);
    // 36 convolutions: stem + 2 per block (16 blocks) + 3 downsampling shortcuts.
    expect(m.layers.filter((l) => l.getClassName() === 'Conv2D').length).toBe(36);
    m.dispose();
  });
  it('ResNet-18 has 11,265,658 and three heads of 168/11/7', () => {
    const m = buildModel({ arch: 'resnet18', size: 64 });
    expect(countTrainable(m)).toBe(11_265_658);
    expect(m.outputs.map((o) => o.shape)).toEqual([
      [null, 168],
      [null, 11],
      [null, 7],
    ]);
    m.dispose();
  });
  it('runs a forward pass at a non-default size and width', () => {
    const m = buildModel({ arch: 'resnet18', size: 48, baseWidth: 8 });
    const out = m.predict(tf.zeros([2, 48, 48, 1])) as tf.Tensor[];
    expect(out.map((t) => t.shape)).toEqual([
      [2, 168],
      [2, 11],
      [2, 7],
    ]);
    tf.dispose(out);
    m.dispose();
  });
  it('validates its arguments', () => {
    expect(() => buildModel({ arch: 'resnet50' as never, size: 64 })).toThrow('unknown arch "resnet50"');
    expect(() => buildModel({ arch: 'resnet18', size: 3 })).toThrow('size must be an integer >= 32, got 3');
    expect(() => buildModel({ arch: 'resnet18', size: 64, baseWidth: 0 })).toThrow('baseWidth must be a positive');
  });
});

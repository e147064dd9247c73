import { describe, expect, it } from 'vitest';
import { augment, DEFAULT_AUGMENT } from '../../../src-main/train/augment.js';
import { rng } from '../../../src-main/train/random.js';

describe('augmentation', () => {
  const size = 32;
  const img = new Uint8Array(size * size);
  for (let y = 8; y < 24; y++) img[y * size + 16] = 255; // a vertical stroke
  const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
  const none = { rotation: 0, scale: 0, shear: 0, shift: 0, dilate: 0, erode: 0, cutout: 0 };

  it('is the identity with every knob at zero', () => {
    const out = new Float32Array(size * size);
    augment(img, size, out, rng(1), none);
    expect(Array.from(out)).toEqual(Array.from(img));
  });
  it('dilation thickens strokes and erosion removes a 1-pixel stroke', () => {
    const out = new Float32Array(size * size);
    augment(img, size, out, () => 0, { ...none, dilate: 1 });
    expect(sum(out)).toBeGreaterThan(2.5 * sum(img));
    augment(img, size, out, () => 0.99, { ...none, erode: 1 });
    expect(sum(out)).toBe(0);
  });
  it('random affine moves ink but keeps values in range', () => {
    const out = new Float32Array(size * size);
    augment(img, size, out, rng(3), { ...DEFAULT_AUGMENT, cutout: 0, dilate: 0, erode: 0 });
    expect(Array.from(out)).not.toEqual(Array.from(img));
    expect(Math.max(...out)).toBeLessThanOrEqual(255);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(sum(out)).toBeGreaterThan(0.6 * sum(img));
  });
});

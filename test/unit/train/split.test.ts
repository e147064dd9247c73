import { describe, expect, it } from 'vitest';
import { stratifiedSplit } from '../../../src-main/train/split.js';
import { augment, DEFAULT_AUGMENT } from '../../../src-main/train/augment.js';
import { rng } from '../../../src-main/train/random.js';

describe('stratified split', () => {
  const items = [
    ...Array.from({ length: 10 }, (_, i) => ({ id: i + 1, root: 7 })),
    ...Array.from({ length: 4 }, (_, i) => ({ id: 100 + i, root: 3 })),
    { id: 200, root: 9 },
    { id: 201, root: 11 },
  ];
  it('keeps single-example classes in training and puts every larger class on both sides', () => {
    const s = stratifiedSplit(items, 0.5, 1);
    expect(s.singletons).toBe(2);
    expect(s.train).toContain(200);
    expect(s.train).toContain(201);
    const val = new Set(s.val);
    expect(items.filter((i) => i.root === 7 && val.has(i.id)).length).toBe(5);
    expect(items.filter((i) => i.root === 3 && val.has(i.id)).length).toBe(2);
    expect([...s.train, ...s.val].sort((a, b) => a - b)).toEqual(items.map((i) => i.id).sort((a, b) => a - b));
  });
  it('is reproducible from its seed and changes with it', () => {
    expect(stratifiedSplit(items, 0.3, 5)).toEqual(stratifiedSplit(items, 0.3, 5));
    expect(stratifiedSplit(items, 0.5, 5).val).not.toEqual(stratifiedSplit(items, 0.5, 6).val);
  });
});

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

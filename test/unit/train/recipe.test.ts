/** The few-label recipe's pieces that are pure functions: batch plans with renders, strong augmentation, valid decoding. */
import { describe, expect, it } from 'vitest';
import { augment, DEFAULT_AUGMENT, STRONG_AUGMENT } from '../../../src-main/train/augment.js';
import { batchPlan, epochBatches, joinDatasets } from '../../../src-main/train/batches.js';
import { emptyDataset, type Dataset } from '../../../src-main/train/data.js';
import { decodeFree, decodeValid, tripleSet } from '../../../src-main/train/decode.js';
import { rng } from '../../../src-main/train/random.js';
import { resolveConfig } from '../../../src-main/train/config.js';
import { recipeFor } from '../../../src-main/service/training/init-source.js';

describe('batches with rendered graphemes mixed in', () => {
  it('keeps one pass over the labeled images per epoch and fills the rest of each batch with renders', () => {
    const plan = batchPlan(100, 50, { batch: 32, synthMix: 0.5 });
    expect(plan).toEqual({ real: 16, renders: 16, batches: 7 });
    const batches = epochBatches(plan, 100, 50, 1, 0);
    const real = batches.flat().filter((r) => r < 100);
    expect(real.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(batches.every((b) => b.filter((r) => r >= 100).length === 16)).toBe(true);
    expect(batches.flat().every((r) => r < 150)).toBe(true);
  });
  it('without renders is the plain labeled order of before (a resumed run replays it)', () => {
    const plan = batchPlan(70, 0, { batch: 32, synthMix: 0.5 });
    expect(plan).toEqual({ real: 32, renders: 0, batches: 3 });
    expect(epochBatches(plan, 70, 0, 3, 2)).toEqual(epochBatches(plan, 70, 0, 3, 2));
    expect(epochBatches(plan, 70, 0, 3, 2).flat()).toHaveLength(70);
  });
  it('joins labeled images and renders into one dataset, labels and pixels in row order', () => {
    const one = (root: number, id: number): Dataset => ({
      size: 2,
      ids: Int32Array.of(id),
      pixels: Uint8Array.of(root, root, root, root),
      root: Int32Array.of(root),
      vowel: Int32Array.of(0),
      consonant: Int32Array.of(0),
    });
    const joined = joinDatasets(one(5, 1), one(9, -1));
    expect(Array.from(joined.root)).toEqual([5, 9]);
    expect(Array.from(joined.ids)).toEqual([1, -1]);
    expect(Array.from(joined.pixels)).toEqual([5, 5, 5, 5, 9, 9, 9, 9]);
    expect(() => joinDatasets(one(1, 1), emptyDataset(3))).toThrow('cannot join datasets of 2 and 3 pixels');
  });
});

describe('strong augmentation', () => {
  const size = 32;
  const img = new Uint8Array(size * size);
  for (let y = 8; y < 24; y++) img[y * size + 16] = 255;
  it('leaves the default set exactly as before (no extra random draws)', () => {
    const a = new Float32Array(size * size);
    const b = new Float32Array(size * size);
    augment(img, size, a, rng(5), DEFAULT_AUGMENT);
    augment(img, size, b, rng(5), { ...DEFAULT_AUGMENT, elastic: 0, erase: 0 });
    expect(Array.from(a)).toEqual(Array.from(b));
  });
  it('elastic distortion bends a straight stroke and random erasing adds faint noise, values in range', () => {
    const none = { rotation: 0, scale: 0, shear: 0, shift: 0, dilate: 0, erode: 0, cutout: 0 };
    const bent = new Float32Array(size * size);
    augment(img, size, bent, rng(7), { ...none, elastic: 1, elasticPixels: 2.5 });
    expect(Array.from(bent)).not.toEqual(Array.from(img));
    const column = (o: Float32Array) => Array.from({ length: size }, (_, y) => o[y * size + 16]!);
    expect(column(bent).reduce((s, v) => s + v, 0)).toBeLessThan(16 * 255);
    const erased = new Float32Array(size * size);
    augment(new Uint8Array(size * size), size, erased, rng(9), { ...none, erase: 1 });
    expect(Math.max(...erased)).toBeGreaterThan(0);
    expect(Math.max(...erased)).toBeLessThanOrEqual(96);
    const strong = new Float32Array(size * size);
    augment(img, size, strong, rng(11), STRONG_AUGMENT);
    expect(Math.min(...strong)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...strong)).toBeLessThanOrEqual(255);
  });
});

describe('valid-combination decoding', () => {
  // root 168 + vowel 11 + consonant 7, one image.
  const probs = (root: number[], vowel: number[], consonant: number[]) => {
    const p = new Float32Array(186);
    root.forEach((v, i) => (p[i] = v));
    vowel.forEach((v, i) => (p[168 + i] = v));
    consonant.forEach((v, i) => (p[179 + i] = v));
    return p;
  };
  const list = tripleSet([
    { root: 1, vowel: 2, consonant: 0 },
    { root: 0, vowel: 0, consonant: 0 },
    { root: 1, vowel: 2, consonant: 0 },
  ]);
  it('reads each head alone, or the likeliest listed triple', () => {
    expect(list).toHaveLength(2);
    // Free: root 0 (0.5), vowel 2 (0.6): a pair the list does not have.
    const p = probs([0.5, 0.4], [0.4, 0, 0.6], [1]);
    expect(decodeFree(p)).toEqual({ root: 0, vowel: 2, consonant: 0 });
    // Listed: 1/2/0 = 0.4 * 0.6 = 0.24 beats 0/0/0 = 0.5 * 0.4 = 0.2.
    expect(decodeValid(p, list)).toEqual({ root: 1, vowel: 2, consonant: 0 });
    // The free pick (0.30) wins when it beats the best listed one by more than the margin.
    expect(decodeValid(p, list, 1)).toEqual({ root: 0, vowel: 2, consonant: 0 });
    expect(decodeValid(p, list, 1.5)).toEqual({ root: 1, vowel: 2, consonant: 0 });
  });
});

describe('the recipe a new run gets', () => {
  it('mixes renders only into runs that start from weights, unless synthMix is asked for', () => {
    const config = resolveConfig({});
    expect(config.synthMix).toBe(0.5);
    expect(recipeFor(config, {}, '/shipped/resnet18-64').synthMix).toBe(0.5);
    expect(recipeFor(config, {}, null).synthMix).toBe(0);
    expect(recipeFor(resolveConfig({ synthMix: 0.25 }), { synthMix: 0.25 }, null).synthMix).toBe(0.25);
  });
});

import type { Dataset } from '../../../src-main/train/data.js';

/**
 * n synthetic size x size images for the training loop: pixel `pixel(i)` at flat index i (a ramp by
 * default), roots cycling 0..2, vowels 0..1, consonant 0, ids from `firstId`.
 */
export function syntheticDataset(
  n: number,
  size: number,
  { pixel = (i: number) => (i * 37) % 256, firstId = 1 }: { pixel?: (i: number) => number; firstId?: number } = {},
): Dataset {
  const pixels = new Uint8Array(n * size * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = pixel(i);
  return {
    size,
    ids: Int32Array.from({ length: n }, (_, i) => firstId + i),
    pixels,
    root: Int32Array.from({ length: n }, (_, i) => i % 3),
    vowel: Int32Array.from({ length: n }, (_, i) => i % 2),
    consonant: new Int32Array(n),
  };
}

/**
 * The narrow ResNet-18 (width 8, 32x32) that plan.test.ts and variants.test.ts train: one shape, so
 * the second file reuses the pipelines the first compiled (Mesa's disk cache), and its batches.
 */
import { CLASS_COUNTS, COMPONENTS } from '../../../../src-main/contract/domain.js';
import { randomArray } from './gpu.js';

export const SHAPE = {
  arch: 'resnet18' as const,
  size: 32,
  baseWidth: 8,
  lossWeights: [1, 1, 1] as [number, number, number],
};
export const LR = 1e-3;

/** n seeded random images and labels that differ by image, head and seed, each within its head's classes. */
export function netBatch(n: number, seed: number): { images: Float32Array; labels: Uint32Array } {
  const images = randomArray(n * SHAPE.size * SHAPE.size, seed);
  const labels = new Uint32Array(n * 3);
  for (let i = 0; i < n; i++)
    COMPONENTS.forEach((c, h) => (labels[i * 3 + h] = (i * 31 + seed * 7 + h) % CLASS_COUNTS[c]));
  return { images, labels };
}

/**
 * Stratified train/validation split by grapheme root. A class with a single
 * example cannot be on both sides: it stays in training and is counted.
 */
import { rng, shuffle } from '../../shared/random.js';

export interface SplitItem {
  id: number;
  root: number;
}
export interface SplitResult {
  train: number[];
  val: number[];
  /** Classes with one example, kept in training only. */
  singletons: number;
}

export function stratifiedSplit(items: readonly SplitItem[], valFraction: number, seed: number): SplitResult {
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`valFraction must be in [0, 1), got ${valFraction}`);
  const random = rng(seed);
  const byClass = new Map<number, number[]>();
  for (const it of [...items].sort((a, b) => a.id - b.id)) {
    const list = byClass.get(it.root) ?? [];
    list.push(it.id);
    byClass.set(it.root, list);
  }
  const out: SplitResult = { train: [], val: [], singletons: 0 };
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const ids = shuffle(byClass.get(cls)!, random);
    if (ids.length === 1) out.singletons++;
    // Stochastic rounding keeps the overall fraction right when most classes are small.
    const want = Math.floor(ids.length * valFraction + random());
    const nVal = Math.min(ids.length - 1, want);
    out.val.push(...ids.slice(0, nVal));
    out.train.push(...ids.slice(nVal));
  }
  out.train.sort((a, b) => a - b);
  out.val.sort((a, b) => a - b);
  return out;
}

/**
 * Which rows make each batch of an epoch. The labeled images come in an order
 * that depends only on (seed, epoch), so a resumed run replays it; with
 * `synthMix`, part of every batch is rendered graphemes (a pool joined after
 * the labeled rows), so roots that no label covers still get gradient.
 */
import type { TrainConfig } from './config.js';
import type { Dataset } from './data.js';
import { rng, shuffle } from './random.js';

export interface BatchPlan {
  /** Labeled images per batch (the last batch of an epoch may have fewer). */
  real: number;
  /** Rendered images per batch. */
  renders: number;
  /** Batches per epoch: one pass over the labeled images. */
  batches: number;
}

export function batchPlan(realCount: number, renderCount: number, config: Pick<TrainConfig, 'batch' | 'synthMix'>) {
  const mixing = renderCount > 0 && config.synthMix > 0;
  const real = mixing ? Math.max(1, Math.round(config.batch * (1 - config.synthMix))) : config.batch;
  const renders = mixing ? config.batch - real : 0;
  return { real, renders, batches: Math.ceil(realCount / real) } satisfies BatchPlan;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

/** Row indices of every batch of `epoch`; render rows count from `realCount` (see joinDatasets). */
export function epochBatches(
  plan: BatchPlan,
  realCount: number,
  renderCount: number,
  seed: number,
  epoch: number,
): number[][] {
  const order = shuffle(range(realCount), rng(seed * 7919 + epoch));
  const renders = plan.renders ? shuffle(range(renderCount, realCount), rng(seed * 6151 + epoch * 17 + 3)) : [];
  return range(plan.batches).map((b) => {
    const rows = order.slice(b * plan.real, (b + 1) * plan.real);
    for (let i = 0; i < plan.renders; i++) rows.push(renders[(b * plan.renders + i) % renders.length]!);
    return rows;
  });
}

/** The labeled images followed by the renders, as one dataset (render ids are negative). */
export function joinDatasets(a: Dataset, b: Dataset): Dataset {
  if (a.size !== b.size) throw new Error(`cannot join datasets of ${a.size} and ${b.size} pixels`);
  const cat = <T extends Int32Array | Uint8Array>(x: T, y: T, make: (n: number) => T) => {
    const out = make(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  const ints = (n: number) => new Int32Array(n);
  return {
    size: a.size,
    ids: cat(a.ids, b.ids, ints),
    pixels: cat(a.pixels, b.pixels, (n) => new Uint8Array(n)),
    root: cat(a.root, b.root, ints),
    vowel: cat(a.vowel, b.vowel, ints),
    consonant: cat(a.consonant, b.consonant, ints),
  };
}

/**
 * The rendered graphemes a fine-tuning run mixes into its batches
 * (config.synthMix): a fixed pool, drawn with a seed that pretraining never
 * used, rendered once per input size and cached beside the font cache.
 */
import { dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { readClassMap } from '../store/taxonomy.js';
import { fontCacheDir } from '../synth/fonts.js';
import { Synth } from '../synth/synth.js';
import type { Dataset } from './data.js';
import { renderPool } from './pretrain.js';

/** Renders in the pool: every root about 12 times; about 15 s of rendering once, then a file read. */
export const MIX_POOL = 2048;
/** Pretraining draws with seed 1 (scripts/pretrain.sh); this pool with its own. */
const MIX_SEED = 1009;

/** Where the pool of one input size is cached. */
export const mixPoolFile = (size: number, count = MIX_POOL) =>
  join(dirname(fontCacheDir()), 'renders', `mix-${MIX_SEED}-${count}-${size}.bin.gz`);

export async function mixPool(size: number, count = MIX_POOL): Promise<Dataset> {
  const synth = await Synth.open({ taxonomy: readClassMap(), seed: MIX_SEED });
  const file = mixPoolFile(size, count);
  mkdirSync(dirname(file), { recursive: true });
  return renderPool(synth, count, size, file);
}

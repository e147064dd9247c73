/**
 * Training data: labeled images with their preprocessed tensors, read from
 * the project database (read-only in the trainer) through the image cache.
 */
import { inflateRawSync } from 'node:zlib';
import type { DB } from '../store/db.js';
import { decodeImage } from '../ingest/decode.js';
import { decodeGrayPng } from '../ingest/png.js';
import { preprocess } from '../ingest/preprocess.js';

export interface Dataset {
  size: number;
  /** Database ids of the images, in row order. */
  ids: Int32Array;
  /** n x size x size, ink bright. */
  pixels: Uint8Array;
  root: Int32Array;
  vowel: Int32Array;
  consonant: Int32Array;
}

export const emptyDataset = (size: number): Dataset => ({
  size,
  ids: new Int32Array(0),
  pixels: new Uint8Array(0),
  root: new Int32Array(0),
  vowel: new Int32Array(0),
  consonant: new Int32Array(0),
});

/**
 * Pixels of one image at `size`: from the cache, else decoded and preprocessed
 * now. Parquet rows are stored without a cache: their gray PNG decodes here
 * without sharp (with preprocessing about 0.7 ms CPU), and the cache cost the
 * import 0.4 ms CPU and 2.2 KB on disk per row.
 */
export async function imagePixels(db: DB, id: number, size: number): Promise<Uint8Array> {
  const cached = db.prepare('SELECT pixels FROM image_cache WHERE image_id = ? AND size = ?').pluck().get(id, size) as
    Buffer | undefined;
  if (cached) return new Uint8Array(inflateRawSync(cached));
  const bytes = db.prepare('SELECT bytes FROM image_bytes WHERE image_id = ?').pluck().get(id) as Buffer | undefined;
  if (!bytes) throw new Error(`image ${id} has no stored bytes`);
  const d = decodeGrayPng(bytes) ?? (await decodeImage(bytes));
  return preprocess(d.gray, d.width, d.height, size);
}

/**
 * Loads the given images with their current labels. Images that are no
 * longer labeled (an annotator changed them meanwhile) are left out.
 */
export async function loadDataset(db: DB, ids: readonly number[], size: number): Promise<Dataset> {
  const get = db.prepare("SELECT root, vowel, consonant FROM labels WHERE image_id = ? AND state = 'labeled'");
  const rows: { id: number; root: number; vowel: number; consonant: number }[] = [];
  for (const id of ids) {
    const r = get.get(id) as { root: number; vowel: number; consonant: number } | undefined;
    if (r) rows.push({ id, ...r });
  }
  const n = rows.length;
  const ds: Dataset = {
    size,
    ids: new Int32Array(n),
    pixels: new Uint8Array(n * size * size),
    root: new Int32Array(n),
    vowel: new Int32Array(n),
    consonant: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    ds.ids[i] = r.id;
    ds.root[i] = r.root;
    ds.vowel[i] = r.vowel;
    ds.consonant[i] = r.consonant;
    ds.pixels.set(await imagePixels(db, r.id, size), i * size * size);
  }
  return ds;
}

/** Mean and standard deviation of the pixels scaled to [0, 1]: the normalization stored with the model. */
export function pixelStats(pixels: Uint8Array): { mean: number; std: number } {
  if (pixels.length === 0) return { mean: 0, std: 1 };
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]! / 255;
    s += v;
    s2 += v * v;
  }
  const mean = s / pixels.length;
  const std = Math.sqrt(Math.max(s2 / pixels.length - mean * mean, 1e-8));
  return { mean, std };
}

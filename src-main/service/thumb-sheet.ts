/**
 * Contact sheets: many thumbnails in one JPEG. The Browse grid asks for one
 * sheet per block of images instead of one request per thumbnail, because
 * per-image loading (not rendering) is what costs the renderer long frames:
 * each load leaves objects for the garbage collector, which then pauses.
 */
import sharp from 'sharp';
import { AppError } from '../contract/envelope.js';
import type { ThumbSheet } from '../contract/calls.js';
import type { ImageStore } from '../store/images.js';

/** Thumbnails are laid out in rows of this many. */
const COLUMNS = 12;

/**
 * Tiles are made this many at a time. Setting up a sharp pipeline is
 * synchronous JavaScript: the 96 tiles of a sheet started at once held the
 * event loop for 50-500 ms (load average 18), and every label save waiting
 * behind it paid that (the soak's label p99 rose with browsing). One at a
 * time per lane lets other requests run between tiles; two lanes keep both
 * cores of a small machine busy.
 */
export const LANES = 2;

/** `make` over every item, at most `lanes` at a time, results in the items' order. */
export async function inLanes<T, R>(items: T[], lanes: number, make: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await make(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  return out;
}

export async function thumbSheet(images: ImageStore, ids: number[], width: number): Promise<ThumbSheet> {
  // Bengali.AI crops are 236x137; keep that shape so most thumbnails fill their cell.
  const height = Math.round((width * 137) / 236);
  const stored = images.bytesOf(ids);
  const missing = ids.find((id) => !stored.has(id));
  if (missing !== undefined) throw new AppError('not_found', `Image ${missing} does not exist.`);
  const tiles = await inLanes(ids, LANES, async (id, i) => {
    // Raw pixels go straight into the composite: no encode and decode again per tile.
    const input = await sharp(stored.get(id)!)
      .resize(width, height, { fit: 'contain', background: '#ffffff' })
      .flatten({ background: '#ffffff' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true })
      .catch(() => null); // an undecodable image stays a white tile rather than failing the sheet
    if (!input) return null;
    const { width: w, height: h, channels } = input.info;
    return {
      input: input.data,
      raw: { width: w, height: h, channels },
      left: (i % COLUMNS) * width,
      top: Math.floor(i / COLUMNS) * height,
    };
  });
  const rows = Math.max(1, Math.ceil(ids.length / COLUMNS));
  const jpeg = await sharp({
    create: { width: COLUMNS * width, height: rows * height, channels: 3, background: '#ffffff' },
  })
    .composite(tiles.filter((t) => t !== null))
    .jpeg({ quality: 80 })
    .toBuffer();
  return {
    ids,
    columns: COLUMNS,
    cellWidth: width,
    cellHeight: height,
    dataUrl: `data:image/jpeg;base64,${jpeg.toString('base64')}`,
  };
}

/** A contact sheet of renders (and optionally real crops) as one PNG, to look at what the network is fed. */
import sharp from 'sharp';
import type { Synth } from './synth.js';

export interface SheetOptions {
  count: number;
  size: number;
  columns: number;
  /** First sample index: sheets of a pretraining run show what step k saw. */
  start?: number;
}

/** Writes renders sample(start) .. sample(start + count - 1) as a grid, dark ink on white, as the model sees them. */
export async function writeSheet(synth: Synth, out: string, o: SheetOptions): Promise<void> {
  const rows = Math.ceil(o.count / o.columns);
  const gap = 2;
  const cell = o.size + gap;
  const width = o.columns * cell + gap;
  const height = rows * cell + gap;
  const img = new Uint8Array(width * height).fill(128);
  for (let k = 0; k < o.count; k++) {
    const { pixels } = await synth.sample((o.start ?? 0) + k, o.size);
    const left = gap + (k % o.columns) * cell;
    const top = gap + Math.floor(k / o.columns) * cell;
    for (let y = 0; y < o.size; y++)
      for (let x = 0; x < o.size; x++) img[(top + y) * width + left + x] = 255 - pixels[y * o.size + x]!;
  }
  await sharp(Buffer.from(img), { raw: { width, height, channels: 1 } })
    .png()
    .toFile(out);
}

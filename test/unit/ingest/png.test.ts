/**
 * The gray PNG the parquet import stores, and the decoder the trainer reads
 * it back with (parquet rows have no stored training cache): pixels must come
 * back exactly, the same as sharp decodes them, for our files and sharp's.
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src-main/ingest/decode.js';
import { decodeGrayPng, encodeGrayPng } from '../../../src-main/ingest/png.js';
import { HEIGHT, PIXELS, WIDTH, competitionImages, rowPixels } from '../../fixtures/parquet.js';

let images: Awaited<ReturnType<typeof competitionImages>>;
beforeAll(async () => {
  images = await competitionImages();
}, 60_000);

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('gray PNG', () => {
  it('round-trips every real crop, shifted as the parquet fixture shifts them, exactly', async () => {
    const row = new Uint8Array(PIXELS);
    let mismatches = 0;
    // Two rounds of every crop: the unshifted one and the first shift.
    for (let i = 0; i < 2 * images.length; i++) {
      rowPixels(images, i, row);
      const png = encodeGrayPng(row, WIDTH, HEIGHT);
      const ours = decodeGrayPng(png)!;
      if (ours.width !== WIDTH || ours.height !== HEIGHT || !same(ours.gray, row)) mismatches++;
      if (i % 50 === 0) expect(same((await decodeImage(png)).gray, row)).toBe(true);
    }
    expect(mismatches).toBe(0);
  });

  it('round-trips edge cases: blank, black, pure noise, single pixels and thin strips', () => {
    const cases: [number, number, (i: number) => number][] = [
      [WIDTH, HEIGHT, () => 255],
      [WIDTH, HEIGHT, () => 0],
      [WIDTH, HEIGHT, () => Math.floor(Math.random() * 256)],
      [1, 1, () => 7],
      [1, 300, (i) => i & 255],
      [700, 2, (i) => (i * 31) & 255],
    ];
    for (const [w, h, f] of cases) {
      const px = Uint8Array.from({ length: w * h }, (_, i) => f(i));
      const d = decodeGrayPng(encodeGrayPng(px, w, h))!;
      expect([d.width, d.height]).toEqual([w, h]);
      expect(same(d.gray, px)).toBe(true);
    }
  });

  it('decodes gray PNGs written by sharp (adaptive filters: every filter type) as sharp does', async () => {
    for (const adaptiveFiltering of [false, true]) {
      const src = images[3]!.gray;
      const png = await sharp(Buffer.from(src), { raw: { width: WIDTH, height: HEIGHT, channels: 1 } })
        .toColourspace('b-w')
        .png({ adaptiveFiltering })
        .toBuffer();
      const d = decodeGrayPng(png);
      expect(d).not.toBeNull();
      expect(same(d!.gray, (await decodeImage(png)).gray)).toBe(true);
    }
  });

  it('leaves colour, transparency and other PNG kinds to the general decoder', async () => {
    const rgb = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const alpha = await sharp({ create: { width: 4, height: 4, channels: 4, background: '#80808080' } })
      .png()
      .toBuffer();
    expect(decodeGrayPng(rgb)).toBeNull();
    expect(decodeGrayPng(alpha)).toBeNull();
    expect(decodeGrayPng(Buffer.from('not a png at all, but long enough to read'))).toBeNull();
  });
});

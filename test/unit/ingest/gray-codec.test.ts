/**
 * The lossless gray codec (measured as a stored format, not used by the
 * importer yet): every real crop, shifted as the parquet fixture shifts them,
 * comes back exactly and smaller than our PNG; edge cases round-trip; corrupt
 * or truncated bytes are refused with a reason, never decoded into other pixels.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src-main/ingest/decode.js';
import { decodeGray, encodeGray, isGray } from '../../../src-main/ingest/gray-codec.js';
import { encodeGrayPng } from '../../../src-main/ingest/png.js';
import { FORMS_DIR, HEIGHT, PIXELS, WIDTH, competitionImages, formSamples, rowPixels } from '../../fixtures/parquet.js';

let images: Awaited<ReturnType<typeof competitionImages>>;
beforeAll(async () => {
  images = await competitionImages();
}, 60_000);

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('gray codec', () => {
  it('round-trips every real crop, unshifted and shifted, exactly, in fewer bytes than PNG', () => {
    const row = new Uint8Array(PIXELS);
    let mismatches = 0;
    let ours = 0;
    let png = 0;
    for (let i = 0; i < 2 * images.length; i++) {
      rowPixels(images, i, row);
      const coded = encodeGray(row, WIDTH, HEIGHT);
      expect(isGray(coded)).toBe(true);
      const back = decodeGray(coded);
      if (back.width !== WIDTH || back.height !== HEIGHT || !same(back.gray, row)) mismatches++;
      ours += coded.length;
      png += encodeGrayPng(row, WIDTH, HEIGHT).length;
    }
    expect(mismatches).toBe(0);
    // 11.4 KB against 13.7 measured; a model that stopped adapting would lose most of that.
    expect(ours / png).toBeLessThan(0.88);
  });

  it('round-trips every crop of the forms at its own size', async () => {
    let mismatches = 0;
    const samples = formSamples();
    for (const s of samples) {
      const { gray, width, height } = await decodeImage(readFileSync(join(FORMS_DIR, s.path)));
      const back = decodeGray(encodeGray(gray, width, height));
      if (back.width !== width || back.height !== height || !same(back.gray, gray)) mismatches++;
    }
    expect(samples.length).toBeGreaterThan(400);
    expect(mismatches).toBe(0);
  });

  it('round-trips edge cases: blank, black, pure noise, extremes, single pixels and thin strips', () => {
    let seed = 7;
    const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 255;
    const cases: [number, number, (i: number) => number][] = [
      [WIDTH, HEIGHT, () => 255],
      [WIDTH, HEIGHT, () => 0],
      [WIDTH, HEIGHT, noise],
      [WIDTH, HEIGHT, (i) => (i & 1 ? 255 : 0)], // residuals of +-255 wrap around
      [64, 64, (i) => ((i >> 6) * 37 + (i & 63) * 91) & 255],
      [1, 1, () => 7],
      [2, 2, (i) => i * 80],
      [1, 300, (i) => i & 255],
      [700, 2, (i) => (i * 31) & 255],
      [5, 3, noise],
    ];
    for (const [w, h, f] of cases) {
      const px = Uint8Array.from({ length: w * h }, (_, i) => f(i));
      const d = decodeGray(encodeGray(px, w, h));
      expect([d.width, d.height]).toEqual([w, h]);
      expect(same(d.gray, px)).toBe(true);
    }
  });

  it('refuses what it cannot encode', () => {
    expect(() => encodeGray(new Uint8Array(10), 3, 3)).toThrow(/expected 9 pixels/);
    expect(() => encodeGray(new Uint8Array(70_000), 70_000, 1)).toThrow(/cannot encode/);
  });

  it('refuses corrupt, truncated and foreign bytes with a reason', () => {
    const row = new Uint8Array(PIXELS);
    rowPixels(images, 11, row);
    const good = encodeGray(row, WIDTH, HEIGHT);
    expect(() => decodeGray(encodeGrayPng(row, WIDTH, HEIGHT))).toThrow(/not a glc image/);
    expect(() => decodeGray(good.subarray(0, 10))).toThrow(/not a glc image/);
    expect(() => decodeGray(good.subarray(0, good.length - 1))).toThrow(/corrupt glc image/);
    expect(() => decodeGray(Buffer.concat([good, Buffer.from([0])]))).toThrow(/corrupt glc image/);
    const huge = Buffer.from(good);
    huge.writeUInt16LE(65535, 4);
    huge.writeUInt16LE(65535, 6);
    expect(() => decodeGray(huge)).toThrow(/claims 65535x65535/);
    const badState = Buffer.from(good);
    badState.writeUInt32LE(0xffffffff, 8);
    expect(() => decodeGray(badState)).toThrow(/corrupt glc image/);
    // Flipped bits anywhere in the stream: refused, or (where the damage cancels out) other pixels
    // never come back silently as the right size with a clean end.
    let refused = 0;
    for (let k = 0; k < 200; k++) {
      const bad = Buffer.from(good);
      const at = 16 + ((k * 7919) % (good.length - 16));
      bad[at]! ^= 1 << (k % 8);
      try {
        const d = decodeGray(bad);
        expect(same(d.gray, row)).toBe(false);
      } catch (err) {
        expect((err as Error).message).toMatch(/corrupt glc image/);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(190);
  });
});

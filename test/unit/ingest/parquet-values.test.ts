/**
 * The pixel-value decoder's fast paths: PLAIN INT32 checked a page at a time,
 * and dictionary indices narrower than 8 bits read two bytes at a time up to
 * the page's end. Values outside 0..255 flag their row; an index past the
 * dictionary is a corrupt page.
 */
import { describe, expect, it } from 'vitest';
import { decodeValues } from '../../../src-main/ingest/parquet-values.js';
import { ENC_PLAIN, ENC_RLE_DICTIONARY } from '../../../src-main/ingest/parquet-thrift.js';

function decode(values: Uint8Array, encoding: number, dict: Int16Array | null, rows: number, start = 0, end = rows) {
  const target = { out: new Uint8Array(end - start), offset: 0, bad: new Uint8Array(end - start) };
  decodeValues(values, encoding, dict, 0, rows, null, start, end, target);
  return { out: [...target.out], bad: [...target.bad] };
}

/** Bit-packed run of `indices` (a multiple of 8) at `width` bits, after the page's bit-width byte. */
function packed(indices: number[], width: number): Uint8Array {
  const bytes = new Uint8Array(1 + 1 + (indices.length / 8) * width);
  bytes[0] = width;
  bytes[1] = ((indices.length / 8) << 1) | 1;
  indices.forEach((v, k) => {
    for (let b = 0; b < width; b++) if ((v >> b) & 1) bytes[2 + ((k * width + b) >> 3)]! |= 1 << ((k * width + b) & 7);
  });
  return bytes;
}

describe('pixel values', () => {
  it('PLAIN: values 0..255 land as bytes, others flag their row', () => {
    const ints = new Int32Array([5, 300, -1, 7, 255, 0, 65536, 9, 16777216, 3]);
    const r = decode(new Uint8Array(ints.buffer), ENC_PLAIN, null, 10);
    expect(r.bad).toEqual([0, 1, 1, 0, 0, 0, 1, 0, 1, 0]);
    expect([r.out[0], r.out[3], r.out[4], r.out[5], r.out[7]]).toEqual([5, 7, 255, 0, 9]);
    expect(decode(new Uint8Array(new Int32Array([1, 2, 3, 4]).buffer), ENC_PLAIN, null, 4, 1, 3).out).toEqual([2, 3]);
    // The only bad value has nothing but its top byte set.
    expect(decode(new Uint8Array(new Int32Array([4, 1 << 24, 6]).buffer), ENC_PLAIN, null, 3).bad).toEqual([0, 1, 0]);
  });

  it('narrow dictionaries: every width 1..7, every value, the last ones at the very end of the page', () => {
    for (let width = 1; width <= 7; width++) {
      const size = 1 << width;
      const dict = Int16Array.from({ length: size }, (_, i) => (i * 37 + width) & 255);
      const indices = Array.from({ length: 64 }, (_, k) => (k * 5 + width) % size);
      const r = decode(packed(indices, width), ENC_RLE_DICTIONARY, dict, 64);
      expect(r.out).toEqual(indices.map((i) => dict[i]));
      expect(r.bad.every((b) => b === 0)).toBe(true);
      // A window inside the run.
      expect(decode(packed(indices, width), ENC_RLE_DICTIONARY, dict, 64, 13, 50).out).toEqual(
        indices.slice(13, 50).map((i) => dict[i]),
      );
    }
  });

  it('narrow dictionaries: an out-of-range entry flags its rows, an index past the end is corrupt', () => {
    const dict = Int16Array.from([10, -1, 30, 40, 50]); // width 3: indices 5..7 have no entry
    const ok = [0, 1, 2, 3, 4, 1, 0, 2];
    expect(decode(packed(ok, 3), ENC_RLE_DICTIONARY, dict, 8).bad).toEqual([0, 1, 0, 0, 0, 1, 0, 0]);
    expect(() => decode(packed([0, 1, 2, 3, 4, 6, 0, 2], 3), ENC_RLE_DICTIONARY, dict, 8)).toThrow(
      /past the end of the dictionary/,
    );
    expect(() => decode(packed(ok, 3).subarray(0, 4), ENC_RLE_DICTIONARY, dict, 8)).toThrow(/past the end of the page/);
  });
});

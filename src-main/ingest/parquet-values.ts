/**
 * The values of one data page of a uint8 pixel column: PLAIN INT32 or
 * dictionary indices (RLE/bit-packed hybrid), with definition levels, written
 * for a window of rows into a byte array.
 */
import { ENC_PLAIN, ENC_PLAIN_DICTIONARY, ENC_RLE_DICTIONARY, Thrift } from './parquet-thrift.js';

/** Thrown for a chunk this decoder does not handle (as opposed to a corrupt one). */
export class Unsupported extends Error {}

/** Where decoded rows go: row r of the window lands in out[offset + r]; bad[r] is set for rows that are null or outside 0..255. */
export interface Target {
  out: Uint8Array;
  offset: number;
  bad: Uint8Array;
}

/** Definition levels of a flat OPTIONAL column (bit width 1), or null when every value is present. */
export function definitionLevels(levels: Uint8Array, rows: number): Uint8Array | null {
  let defs: Uint8Array | null = null;
  let got = 0;
  hybridRuns(
    levels,
    1,
    rows,
    (first, count, value) => {
      if (value === 1 && !defs) return;
      defs ??= new Uint8Array(rows).fill(1, 0, first);
      defs.fill(value, first, first + count);
    },
    (first, count, data, bit) => {
      for (let i = 0; i < count; i++, bit++) {
        const d = (data[bit >> 3]! >> (bit & 7)) & 1;
        if (d === 1 && !defs) continue;
        defs ??= new Uint8Array(rows).fill(1, 0, first + i);
        defs[first + i] = d;
      }
    },
    (n) => (got = n),
  );
  if (got < rows) throw new Error(`definition levels cover ${got} of ${rows} values`);
  return defs;
}

/** Walks an RLE/bit-packed hybrid run list of count values, calling back per run. */
function hybridRuns(
  data: Uint8Array,
  width: number,
  count: number,
  rle: (first: number, n: number, value: number) => void,
  packed: (first: number, n: number, data: Uint8Array, bit: number) => void,
  done: (n: number) => void,
): void {
  const t = new Thrift(data, 0);
  const valueBytes = (width + 7) >> 3;
  let i = 0;
  while (i < count && t.pos < data.length) {
    const h = t.varint();
    if (h & 1) {
      const n = Math.min((h >>> 1) * 8, count - i);
      if (t.pos + Math.ceil((n * width) / 8) > data.length) throw new Error('bit-packed run past the end of the page');
      packed(i, n, data, t.pos * 8);
      t.pos += (h >>> 1) * width;
      i += n;
    } else {
      const n = Math.min(h >>> 1, count - i);
      let v = 0;
      for (let b = 0; b < valueBytes; b++) v |= t.byte() << (8 * b);
      rle(i, n, v);
      i += n;
    }
  }
  done(i);
}

/**
 * Writes page rows [from, to) of a page's values to out[base + i] (bad[badBase + i] for rows
 * whose value is outside 0..255). Values are dense: the caller maps them around nulls.
 */
function decodeDense(
  values: Uint8Array,
  encoding: number,
  dict: Int16Array | null,
  from: number,
  to: number,
  out: Uint8Array,
  base: number,
  bad: Uint8Array,
  badBase: number,
): void {
  if (encoding === ENC_PLAIN) {
    if (values.length < to * 4) throw new Error('plain values shorter than the page');
    // A value 0..255 is its low byte with three zero bytes above: no branch per value, the high
    // bytes OR-ed together send the page to the checking loop only when one is set.
    let high = 0;
    for (let i = from; i < to; i++) {
      const p = 4 * i;
      out[base + i] = values[p]!;
      high |= values[p + 1]! | values[p + 2]! | values[p + 3]!;
    }
    if (high !== 0) {
      const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
      for (let i = from; i < to; i++) {
        const v = view.getInt32(i * 4, true);
        if (!(v >= 0 && v <= 255)) bad[badBase + i] = 1;
      }
    }
    return;
  }
  if (encoding !== ENC_RLE_DICTIONARY && encoding !== ENC_PLAIN_DICTIONARY)
    throw new Unsupported(`encoding ${encoding}`);
  if (!dict) throw new Error('dictionary-encoded page without a dictionary page');
  const width = values[0] ?? 0;
  if (width > 16) throw new Error(`dictionary index width ${width} is too large`);
  const lut = lutFor(dict, width);
  const mask = (1 << width) - 1;
  const valueBytes = (width + 7) >> 3;
  const n = values.length;
  let pos = 1;
  let i = 0;
  // The hot loop of an import: one pass over the RLE/bit-packed runs, values looked up and written in place.
  while (i < to) {
    if (pos >= n) throw new Error(`dictionary indices cover ${i} of ${to} values`);
    let h = 0;
    for (let shift = 0; ; shift += 7) {
      const b = values[pos++]!;
      h += (b & 0x7f) * 2 ** shift;
      if (b < 0x80 || shift > 28) break;
    }
    if (h % 2 === 1) {
      const count = (h - 1) * 4; // (h >> 1) groups of 8
      const lo = Math.max(i, from);
      const hi = Math.min(i + count, to);
      if (lo < hi) {
        if (pos + Math.ceil(((hi - i) * width) / 8) > n) throw new Error('bit-packed run past the end of the page');
        if (width === 8) {
          // No branch per value: flags (bit 8 and up) accumulate and send the run to the checking loop.
          const p0 = pos - i;
          let flags = 0;
          for (let k = lo; k < hi; k++) {
            const v = lut[values[p0 + k]!]!;
            flags |= v;
            out[base + k] = v;
          }
          if (flags > 255) for (let k = lo; k < hi; k++) checkValue(lut[values[p0 + k]!]!, bad, badBase + k);
        } else if (width < 8) {
          // Narrower dictionaries (edge columns, mostly paper): a value spans at most two bytes. Both are
          // read unchecked up to the last value whose second byte lies inside the page; flags as above.
          const safe = Math.min(hi, i + Math.floor(((n - 1 - pos) * 8) / width));
          let flags = 0;
          let k = lo;
          for (; k < safe; k++) {
            const bit = (k - i) * width;
            const p = pos + (bit >> 3);
            const v = lut[((values[p]! | (values[p + 1]! << 8)) >> (bit & 7)) & mask]!;
            flags |= v;
            out[base + k] = v;
          }
          if (flags > 255) {
            for (let r = lo; r < safe; r++) {
              const bit = (r - i) * width;
              const p = pos + (bit >> 3);
              checkValue(lut[((values[p]! | (values[p + 1]! << 8)) >> (bit & 7)) & mask]!, bad, badBase + r);
            }
          }
          for (; k < hi; k++) {
            const bit = (k - i) * width;
            const p = pos + (bit >> 3);
            const v = lut[((values[p]! | ((values[p + 1] ?? 0) << 8)) >> (bit & 7)) & mask]!;
            if (v < 256) out[base + k] = v;
            else checkValue(v, bad, badBase + k);
          }
        } else {
          // width 9..16: a value spans at most three bytes.
          for (let k = lo; k < hi; k++) {
            const bit = (k - i) * width;
            const p = pos + (bit >> 3);
            const word = values[p]! | ((values[p + 1] ?? 0) << 8) | ((values[p + 2] ?? 0) << 16);
            const v = lut[(word >> (bit & 7)) & mask]!;
            if (v < 256) out[base + k] = v;
            else checkValue(v, bad, badBase + k);
          }
        }
      }
      pos += ((h - 1) / 2) * width;
      i += count;
    } else {
      const count = h / 2;
      let idx = 0;
      for (let b = 0; b < valueBytes; b++) idx |= (values[pos++] ?? 0) << (8 * b);
      const lo = Math.max(i, from);
      const hi = Math.min(i + count, to);
      const v = lut[idx] ?? NO_ENTRY;
      if (lo < hi && v < 256) out.fill(v, base + lo, base + hi);
      else for (let k = lo; k < hi; k++) checkValue(v, bad, badBase + k);
      i += count;
    }
  }
}

/** Lookup-table entries above 255: a dictionary value outside 0..255, or an index with no dictionary entry. */
const OUT_OF_RANGE = 256;
const NO_ENTRY = 512;

let lutCache: { dict: Int16Array; width: number; lut: Uint16Array } | null = null;

/** The dictionary padded to every index the bit width can express. */
function lutFor(dict: Int16Array, width: number): Uint16Array {
  if (lutCache?.dict === dict && lutCache.width === width) return lutCache.lut;
  const lut = new Uint16Array(1 << width).fill(NO_ENTRY);
  const n = Math.min(dict.length, lut.length);
  for (let i = 0; i < n; i++) lut[i] = dict[i]! < 0 ? OUT_OF_RANGE : dict[i]!;
  lutCache = { dict, width, lut };
  return lut;
}

function checkValue(v: number, bad: Uint8Array, at: number): void {
  if (v === OUT_OF_RANGE) bad[at] = 1;
  else if (v > 255) throw new Error('dictionary index past the end of the dictionary');
}

export function decodeValues(
  values: Uint8Array,
  encoding: number,
  dict: Int16Array | null,
  pageRow: number,
  rows: number,
  defs: Uint8Array | null,
  start: number,
  end: number,
  target: Target,
): void {
  const from = Math.max(0, start - pageRow);
  const to = Math.min(rows, end - pageRow);
  // Page row i is window row pageRow + i - start.
  const shift = pageRow - start;
  if (!defs) {
    decodeDense(values, encoding, dict, from, to, target.out, target.offset + shift, target.bad, shift);
    return;
  }
  // Nulls: decode the present values densely, then place them around the null rows (flagged bad).
  let present = 0;
  for (let i = 0; i < to; i++) present += defs[i]!;
  const dense = new Uint8Array(present);
  const denseBad = new Uint8Array(present);
  decodeDense(values, encoding, dict, 0, present, dense, 0, denseBad, 0);
  for (let i = 0, k = 0; i < to; i++) {
    if (!defs[i]) {
      if (i >= from) target.bad[shift + i] = 1;
      continue;
    }
    if (i >= from) {
      target.out[target.offset + shift + i] = dense[k]!;
      if (denseBad[k]) target.bad[shift + i] = 1;
    }
    k++;
  }
}

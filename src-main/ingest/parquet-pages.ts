/**
 * A decoder specialised for the competition's pixel columns: flat INT32
 * (uint8) column chunks, uncompressed or snappy, PLAIN or dictionary encoded,
 * data pages v1 or v2, REQUIRED or OPTIONAL. It writes a window of rows of
 * one column straight into a byte array and skips pages outside the window
 * without decompressing them. Anything else (other types, codecs or
 * encodings) is reported as unsupported so the caller can use hyparquet's
 * general reader for that column.
 */
import { createRequire } from 'node:module';
import { snappyUncompress } from './snappy.js';

/** Native snappy (napi-rs, about 4x faster on these pages) where its binary loads; else the JS decoder. */
const nativeUncompress = (() => {
  try {
    const snappy = createRequire(import.meta.url)('snappy') as {
      uncompressSync(input: Uint8Array, opts: { asBuffer: true }): Buffer;
    };
    return (input: Uint8Array) => snappy.uncompressSync(input, { asBuffer: true });
  } catch {
    return null;
  }
})();

/** Thrown for a chunk this decoder does not handle (as opposed to a corrupt one). */
export class Unsupported extends Error {}

export interface ChunkInfo {
  /** 'UNCOMPRESSED' or 'SNAPPY' are handled. */
  codec: string;
  /** 'INT32' is handled. */
  type: string;
  /** Whether the column is OPTIONAL (definition levels of bit width 1 precede the values). */
  optional: boolean;
}

const PAGE_DATA = 0;
const PAGE_DICTIONARY = 2;
const PAGE_DATA_V2 = 3;
const ENC_PLAIN = 0;
const ENC_PLAIN_DICTIONARY = 2;
const ENC_RLE_DICTIONARY = 8;

interface PageHeader {
  type: number;
  uncompressedSize: number;
  compressedSize: number;
  numValues: number;
  encoding: number;
  /** v2 only: byte lengths of the level sections (stored uncompressed) and whether values are compressed. */
  defLength: number;
  repLength: number;
  numNulls: number;
  compressed: boolean;
}

/** Thrift compact protocol, only as much as a page header needs. */
export class Thrift {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
  ) {}

  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('page header runs past the end of the column chunk');
    return this.buf[this.pos++]!;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 63) throw new Error('bad varint in page header');
    }
  }

  i32(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  /** Calls field(id, type) for each field of a struct; field returns false to have the value skipped. */
  struct(field: (id: number, type: number) => boolean): void {
    let last = 0;
    for (;;) {
      const b = this.byte();
      const type = b & 0x0f;
      if (type === 0) return;
      const delta = b >> 4;
      const id = delta === 0 ? this.i32() : last + delta;
      last = id;
      if (!field(id, type)) this.skip(type);
    }
  }

  skip(type: number): void {
    switch (type) {
      case 1:
      case 2:
        return; // booleans live in the field header
      case 3:
        this.pos++;
        return;
      case 4:
      case 5:
      case 6:
        this.varint();
        return;
      case 7:
        this.pos += 8;
        return;
      case 8: {
        const n = this.varint();
        this.pos += n;
        return;
      }
      case 9:
      case 10: {
        const h = this.byte();
        const size = h >> 4 === 15 ? this.varint() : h >> 4;
        for (let i = 0; i < size; i++) this.skipElement(h & 0x0f);
        return;
      }
      case 11: {
        const size = this.varint();
        if (size === 0) return;
        const kv = this.byte();
        for (let i = 0; i < size; i++) {
          this.skipElement(kv >> 4);
          this.skipElement(kv & 0x0f);
        }
        return;
      }
      case 12:
        this.struct(() => false);
        return;
      default:
        throw new Error(`bad thrift type ${type} in page header`);
    }
  }

  private skipElement(type: number): void {
    if (type === 1 || type === 2) this.pos++;
    else this.skip(type);
  }
}

export function readPageHeader(t: Thrift): PageHeader {
  const h: PageHeader = {
    type: -1,
    uncompressedSize: 0,
    compressedSize: -1,
    numValues: 0,
    encoding: -1,
    defLength: 0,
    repLength: 0,
    numNulls: 0,
    compressed: true,
  };
  t.struct((id, type) => {
    if (id === 1 && type === 5) h.type = t.i32();
    else if (id === 2 && type === 5) h.uncompressedSize = t.i32();
    else if (id === 3 && type === 5) h.compressedSize = t.i32();
    else if ((id === 5 || id === 7) && type === 12) {
      // DataPageHeader and DictionaryPageHeader both start with num_values, encoding.
      t.struct((f, ft) => {
        if (f === 1 && ft === 5) h.numValues = t.i32();
        else if (f === 2 && ft === 5) h.encoding = t.i32();
        else return false;
        return true;
      });
    } else if (id === 8 && type === 12) {
      t.struct((f, ft) => {
        if (f === 1 && ft === 5) h.numValues = t.i32();
        else if (f === 2 && ft === 5) h.numNulls = t.i32();
        else if (f === 4 && ft === 5) h.encoding = t.i32();
        else if (f === 5 && ft === 5) h.defLength = t.i32();
        else if (f === 6 && ft === 5) h.repLength = t.i32();
        else if (f === 7 && (ft === 1 || ft === 2)) h.compressed = ft === 1;
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  if (h.type < 0 || h.compressedSize < 0) throw new Error('page header without type or size');
  return h;
}

/** Where decoded rows go: row r of the window lands in out[offset + r]; bad[r] is set for rows that are null or outside 0..255. */
export interface Target {
  out: Uint8Array;
  offset: number;
  bad: Uint8Array;
}

class Scratch {
  private buf = new Uint8Array(1 << 16);
  get(n: number): Uint8Array {
    if (this.buf.length < n) this.buf = new Uint8Array(Math.max(n, this.buf.length * 2));
    return this.buf.subarray(0, n);
  }
}
const scratch = new Scratch();

function decompress(info: ChunkInfo, input: Uint8Array, size: number): Uint8Array {
  if (info.codec === 'UNCOMPRESSED') return input;
  if (info.codec !== 'SNAPPY') throw new Unsupported(`compression ${info.codec}`);
  if (nativeUncompress) {
    let out: Uint8Array;
    try {
      out = nativeUncompress(input);
    } catch (err) {
      throw new Error(`snappy: ${(err as Error).message}`);
    }
    if (out.length !== size) throw new Error(`snappy: ${out.length} bytes, expected ${size}`);
    return out;
  }
  const out = scratch.get(size);
  snappyUncompress(input, out);
  return out;
}

/**
 * Decodes rows [start, end) of one column chunk (bytes: the chunk, from its
 * first page header) into target. Pages wholly outside the window are skipped
 * without being decompressed; decoding stops after the last page it needs.
 */
export function decodePixelChunk(bytes: Uint8Array, info: ChunkInfo, start: number, end: number, target: Target): void {
  if (info.type !== 'INT32') throw new Unsupported(`physical type ${info.type}`);
  let dict: Int16Array | null = null;
  let row = 0;
  const t = new Thrift(bytes, 0);
  while (row < end) {
    if (t.pos >= bytes.length) throw new Error(`column chunk ends after ${row} of ${end} rows`);
    const h = readPageHeader(t);
    const body = t.pos;
    const next = body + h.compressedSize;
    if (next > bytes.length) throw new Error('page runs past the end of the column chunk');
    t.pos = next;
    if (h.type === PAGE_DICTIONARY) {
      dict = dictionaryLut(decompress(info, bytes.subarray(body, next), h.uncompressedSize), h.numValues);
      continue;
    }
    if (h.type !== PAGE_DATA && h.type !== PAGE_DATA_V2) continue; // index pages carry no rows
    const rows = h.numValues;
    if (row + rows > start) {
      const page = pageSections(bytes.subarray(body, next), h, info);
      const defs = info.optional ? definitionLevels(page.levels, rows) : null;
      decodeValues(page.values, h.encoding, dict, row, rows, defs, start, end, target);
    }
    row += rows;
  }
}

/** The dictionary as a lookup table: value 0..255, or -1 where the value is outside that range. */
function dictionaryLut(plain: Uint8Array, count: number): Int16Array {
  if (plain.length < count * 4) throw new Error('dictionary page shorter than its values');
  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const lut = new Int16Array(count);
  for (let i = 0; i < count; i++) {
    const v = view.getInt32(i * 4, true);
    lut[i] = v >= 0 && v <= 255 ? v : -1;
  }
  return lut;
}

/** Splits a data page into its definition-level bytes (empty for REQUIRED) and its value bytes. */
function pageSections(raw: Uint8Array, h: PageHeader, info: ChunkInfo): { levels: Uint8Array; values: Uint8Array } {
  if (h.type === PAGE_DATA_V2) {
    const levelBytes = h.repLength + h.defLength;
    const rest = raw.subarray(levelBytes);
    const values = h.compressed ? decompress(info, rest, h.uncompressedSize - levelBytes) : rest;
    return { levels: raw.subarray(h.repLength, levelBytes), values };
  }
  const page = decompress(info, raw, h.uncompressedSize);
  if (!info.optional) return { levels: page.subarray(0, 0), values: page };
  if (page.length < 4) throw new Error('data page too short for its definition levels');
  const n = page[0]! | (page[1]! << 8) | (page[2]! << 16) | (page[3]! << 24);
  if (n < 0 || 4 + n > page.length) throw new Error('definition levels run past the end of the page');
  return { levels: page.subarray(4, 4 + n), values: page.subarray(4 + n) };
}

/** Definition levels of a flat OPTIONAL column (bit width 1), or null when every value is present. */
function definitionLevels(levels: Uint8Array, rows: number): Uint8Array | null {
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
    const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
    for (let i = from; i < to; i++) {
      const v = view.getInt32(i * 4, true);
      if (v >= 0 && v <= 255) out[base + i] = v;
      else bad[badBase + i] = 1;
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
        } else {
          // width <= 16: a value spans at most three bytes.
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

function decodeValues(
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

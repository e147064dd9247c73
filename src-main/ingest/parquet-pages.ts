/**
 * A decoder specialised for the competition's pixel columns: flat INT32
 * (uint8) column chunks, uncompressed or snappy, PLAIN or dictionary encoded,
 * data pages v1 or v2, REQUIRED or OPTIONAL. It writes a window of rows of
 * one column straight into a byte array and skips pages outside the window
 * without decompressing them. Anything else (other types, codecs or
 * encodings) is reported as unsupported so the caller can use hyparquet's
 * general reader for that column.
 */
import { snappyUncompress } from './snappy.js';

export interface ChunkInfo {
  /** 'UNCOMPRESSED' or 'SNAPPY' are handled. */
  codec: string;
  /** 'INT32' is handled. */
  type: string;
  /** Whether the column is OPTIONAL (definition levels of bit width 1 precede the values). */
  optional: boolean;
}
import { decodeValues, definitionLevels, Unsupported, type Target } from './parquet-values.js';

export { Unsupported, type Target };
import { PAGE_DATA, PAGE_DATA_V2, PAGE_DICTIONARY, Thrift, readPageHeader, type PageHeader } from './parquet-thrift.js';

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
  // Into one buffer reused for every page: the native decoder (napi-rs snappy) allocated a buffer per
  // page, and with 32,332 pages per window that garbage made it twice as slow as this (0.36 against
  // 0.18 ms CPU a row on the pyarrow file). A snappy copy tag expands at most 22x: a larger claim is corrupt.
  if (size > 22 * input.length + 64) throw new Error(`snappy: ${input.length} bytes cannot hold ${size}`);
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

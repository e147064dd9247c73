/**
 * Decodes a range of pixel columns of one row group, for a window of rows,
 * into the row-major slab (row r, column c at slab[r * 32,332 + c]). Runs on
 * the import's worker threads, each on its own columns of a shared slab.
 */
import { readSync } from 'node:fs';
import { readColumn } from 'hyparquet/src/column.js';
import { DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import type { SchemaElement } from 'hyparquet';
import { decodePixelChunk, Unsupported, type ChunkInfo } from './parquet-pages.js';

/** One pixel column chunk: where it lies in the file and how it is encoded. */
export interface PixelChunk extends ChunkInfo {
  /** Byte range in the file, first page header to end. */
  start: number;
  end: number;
  /** The column's schema element, for hyparquet's general reader when the specialised decoder declines. */
  element: SchemaElement;
}

export interface SlabTask {
  fd: number;
  chunks: PixelChunk[];
  /** Index of chunks[0] among the pixel columns. */
  column: number;
  /** Rows of the row group to decode: [rowStart, rowEnd) lands in slab rows 0.. */
  rowStart: number;
  rowEnd: number;
  /** Bytes per slab row. */
  stride: number;
  slab: Uint8Array;
  /** Set to 1 for window rows with a missing or out-of-range value. */
  bad: Uint8Array;
}

/** Columns decoded together, then transposed into the slab together. */
const BLOCK = 256;
/** Consecutive chunks are read from the file in runs of up to this many bytes. */
const READ_RUN = 8 << 20;

export function decodeSlabColumns(task: SlabTask): void {
  const rows = task.rowEnd - task.rowStart;
  const block = new Uint8Array(BLOCK * rows);
  const chunks = task.chunks;
  for (let c0 = 0; c0 < chunks.length;) {
    let c1 = c0 + 1;
    while (
      c1 < chunks.length &&
      chunks[c1]!.start === chunks[c1 - 1]!.end &&
      chunks[c1]!.end - chunks[c0]!.start <= READ_RUN
    )
      c1++;
    const base = chunks[c0]!.start;
    const bytes = readRange(task.fd, base, chunks[c1 - 1]!.end);
    for (let b0 = c0; b0 < c1; b0 += BLOCK) {
      const b1 = Math.min(c1, b0 + BLOCK);
      for (let c = b0; c < b1; c++) {
        const ch = chunks[c]!;
        const target = { out: block, offset: (c - b0) * rows, bad: task.bad };
        decodeChunk(bytes.subarray(ch.start - base, ch.end - base), ch, task.rowStart, task.rowEnd, target);
      }
      transpose(block, b1 - b0, rows, task.slab, task.stride, task.column + b0);
    }
    c0 = c1;
  }
}

function decodeChunk(
  bytes: Uint8Array,
  chunk: PixelChunk,
  start: number,
  end: number,
  target: { out: Uint8Array; offset: number; bad: Uint8Array },
): void {
  try {
    decodePixelChunk(bytes, chunk, start, end, target);
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
    decodeGeneral(bytes, chunk, start, end, target);
  }
}

/** Any other encoding hyparquet reads (and the values it yields, numbers or bigints). */
function decodeGeneral(
  bytes: Uint8Array,
  chunk: PixelChunk,
  start: number,
  end: number,
  target: { out: Uint8Array; offset: number; bad: Uint8Array },
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { data, skipped } = readColumn(
    { view, offset: 0 },
    { groupStart: 0, selectStart: start, selectEnd: end } as never,
    {
      pathInSchema: [chunk.element.name],
      type: chunk.type,
      element: chunk.element,
      codec: chunk.codec,
      parsers: DEFAULT_PARSERS,
      schemaPath: [
        { element: { name: 'schema' }, children: [], count: 1, path: [] },
        { element: chunk.element, children: [], count: 1, path: [chunk.element.name] },
      ],
    } as never,
  ) as { data: ArrayLike<unknown>[]; skipped: number };
  let row = skipped;
  for (const page of data) {
    for (let i = 0; i < page.length; i++, row++) {
      if (row < start || row >= end) continue;
      const raw = page[i];
      const v = typeof raw === 'number' ? raw : raw === null || raw === undefined ? NaN : Number(raw);
      if (v >= 0 && v <= 255 && Number.isInteger(v)) target.out[target.offset + row - start] = v;
      else target.bad[row - start] = 1;
    }
  }
  if (row < end) throw new Error(`column chunk holds ${row} of ${end} rows`);
}

/**
 * Column-major block (n columns of `rows` bytes) into slab rows at column
 * `column`, 4 columns to a 32-bit word, in tiles of 64 rows so the 64 slab
 * rows being written (32 KB apart) stay in cache and in the TLB.
 */
function transpose(block: Uint8Array, n: number, rows: number, slab: Uint8Array, stride: number, column: number): void {
  // Columns up to the first 4-byte boundary of the slab row and after the last one go byte by byte,
  // the rest 4 at a time. (Word writes were skipped altogether for a block not starting on a boundary,
  // which was most of them: read runs end at any column. That cost 0.07 ms CPU a row.)
  const words = slab.byteOffset % 4 === 0 && stride % 4 === 0;
  const first = words ? Math.min(n, (4 - (column & 3)) & 3) : n;
  const last = first + ((n - first) & ~3);
  const slab32 = new Uint32Array(slab.buffer, slab.byteOffset, words ? slab.byteLength >> 2 : 0);
  for (let r0 = 0; r0 < rows; r0 += 64) {
    const r1 = Math.min(rows, r0 + 64);
    for (let k = 0; k < first; k++) {
      for (let r = r0; r < r1; r++) slab[r * stride + column + k] = block[k * rows + r]!;
    }
    for (let k = first; k < last; k += 4) {
      const a = k * rows;
      const b = a + rows;
      const c = b + rows;
      const d = c + rows;
      let w = (r0 * stride + column + k) >> 2;
      for (let r = r0; r < r1; r++, w += stride >> 2)
        slab32[w] = block[a + r]! | (block[b + r]! << 8) | (block[c + r]! << 16) | (block[d + r]! << 24);
    }
    for (let k = last; k < n; k++) {
      for (let r = r0; r < r1; r++) slab[r * stride + column + k] = block[k * rows + r]!;
    }
  }
}

let readBuffer = new Uint8Array(0);

/** Reads into one buffer reused across calls: allocating 8 MB per read cost more in GC than the decoding. */
function readRange(fd: number, start: number, end: number): Uint8Array {
  if (readBuffer.length < end - start) readBuffer = new Uint8Array(Math.max(end - start, READ_RUN));
  const buf = readBuffer.subarray(0, end - start);
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, start + got);
    if (n === 0) throw new Error('unexpected end of file');
    got += n;
  }
  return buf;
}

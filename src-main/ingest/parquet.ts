import { open, type FileHandle } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parquetMetadataAsync, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { readColumn } from 'hyparquet/src/column.js';
import { DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import type { ImportSummary } from '../contract/domain.js';
import type { Project } from '../store/project.js';
import { ImportJob, type ImportOptions } from './job.js';
import { applyLabelCsv } from './labels-csv.js';
import { EncodePool } from './encode-pool.js';
import type { Encoded } from './encode.js';

/** The competition's image size: 137 rows of 236 pixels, row-major. */
export const PARQUET_HEIGHT = 137;
export const PARQUET_WIDTH = 236;
export const PARQUET_PIXELS = PARQUET_HEIGHT * PARQUET_WIDTH;
/**
 * Rows decoded at once. Memory is about SLAB_ROWS x 32,332 bytes whatever the
 * file or row-group size (a larger row group is read in several slabs).
 */
export const SLAB_ROWS = 8192;

/** Bytes [start, end) of the file; a short read is an error (the file is truncated). */
async function readRange(file: FileHandle, start: number, end: number): Promise<ArrayBuffer> {
  // Unpooled: the Buffer owns its whole ArrayBuffer, which can be handed out without a copy.
  const buf = Buffer.allocUnsafeSlow(Math.max(0, end - start));
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await file.read(buf, got, buf.length - got, start + got);
    if (bytesRead === 0) throw new Error('unexpected end of file');
    got += bytesRead;
  }
  return buf.buffer as ArrayBuffer;
}

/** The file as hyparquet reads its metadata. */
function fileBuffer(handle: FileHandle, size: number): AsyncBuffer {
  return { byteLength: size, slice: (start, end) => readRange(handle, start, Math.min(end ?? size, size)) };
}

interface Layout {
  idColumn: string;
  pixelColumns: string[];
}

/** Checks the competition layout: image_id plus 32,332 pixel columns. */
function layoutOf(meta: FileMetaData): Layout | string {
  const leaves = meta.schema.slice(1).filter((s) => !s.num_children);
  const names = leaves.map((s) => s.name);
  if (!names.includes('image_id')) return 'no image_id column';
  const pixelColumns = names.filter((n) => n !== 'image_id');
  if (pixelColumns.length !== PARQUET_PIXELS) {
    return `has ${pixelColumns.length} pixel columns, expected ${PARQUET_PIXELS} (${PARQUET_HEIGHT}x${PARQUET_WIDTH})`;
  }
  // Pixel columns are named 0..32331 in the competition files; order by number when they are.
  if (pixelColumns.every((n) => /^\d+$/.test(n))) pixelColumns.sort((a, b) => Number(a) - Number(b));
  return { idColumn: 'image_id', pixelColumns };
}

export async function importParquet(
  project: Project,
  files: string[],
  labelsCsv: string | undefined,
  opts: ImportOptions,
  slabRows = SLAB_ROWS,
): Promise<ImportSummary> {
  const job = new ImportJob(project, 'parquet', opts, 0);
  const pool = new EncodePool();
  let total = 0;
  try {
    for (const f of files) {
      if (job.cancelled) break;
      total += await importOneParquet(job, pool, resolve(f), total, slabRows);
    }
  } finally {
    await pool.close();
  }
  job.flush();
  if (labelsCsv && !job.cancelled) {
    await applyLabelCsv(
      project,
      resolve(labelsCsv),
      ({ imageId, path }) => {
        const name = imageId ?? path ?? '';
        return (
          job.seen.get(name) ?? project.images.idByName(name) ?? `no image with image_id "${name}" in this project`
        );
      },
      job,
    );
  }
  return job.finish();
}

/** Imports one file; returns its row count. A broken file is rejected whole or from the broken row group on. */
async function importOneParquet(
  job: ImportJob,
  pool: EncodePool,
  file: string,
  totalBefore: number,
  maxSlab: number,
): Promise<number> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    job.reject(file, `cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return 0;
  }
  try {
    const { size } = await handle.stat();
    const buffer = fileBuffer(handle, size);
    let meta: FileMetaData;
    try {
      meta = await parquetMetadataAsync(buffer);
    } catch (err) {
      job.reject(file, `not a readable parquet file (truncated or corrupt): ${(err as Error).message}`);
      return 0;
    }
    const layout = layoutOf(meta);
    if (typeof layout === 'string') {
      job.reject(file, layout);
      return 0;
    }
    const rows = Number(meta.num_rows);
    job.setTotal(totalBefore + rows);
    const slabRows = Math.min(maxSlab, Math.max(1, ...meta.row_groups.map((g) => Number(g.num_rows))));
    const slab = new Uint8Array(slabRows * PARQUET_PIXELS);
    const bad = new Uint8Array(slabRows);
    let groupStart = 0;
    // Rows of the previous slab, encoding on the workers while the next slab decodes here.
    let queued: Queued = [];
    for (let g = 0; g < meta.row_groups.length && !job.cancelled; g++) {
      const groupRows = Number(meta.row_groups[g]!.num_rows);
      try {
        const readers = columnReaders(meta, g, layout);
        for (let s = 0; s < groupRows && !job.cancelled; s += slabRows) {
          const e = Math.min(groupRows, s + slabRows);
          const ids = await decodeSlab(handle, readers, s, e, slab, bad, job);
          const next = job.cancelled ? [] : enqueueRows(job, pool, file, groupStart + s, ids, slab, bad);
          await storeRows(job, queued);
          queued = next;
        }
      } catch (err) {
        job.reject(
          `${file}:row group ${g} (rows ${groupStart}-${groupStart + groupRows - 1})`,
          `cannot decode (truncated or corrupt): ${(err as Error).message}`,
        );
      }
      groupStart += groupRows;
    }
    await storeRows(job, queued);
    return rows;
  } finally {
    await handle.close();
  }
}

/**
 * Where each column chunk of a row group lies and how to decode it, worked out
 * once per row group (not per slab or page): hyparquet's own planner is
 * quadratic in the column count.
 */
interface ColumnReader {
  startByte: number;
  endByte: number;
  decoder: Record<string, unknown>;
}

function columnReaders(
  meta: FileMetaData,
  group: number,
  layout: Layout,
): { id: ColumnReader; pixels: ColumnReader[] } {
  const tree = parquetSchema(meta);
  const leafByName = new Map(tree.children.map((c) => [c.element.name, c]));
  const byName = new Map<string, ColumnReader>();
  for (const chunk of meta.row_groups[group]!.columns) {
    const m = chunk.meta_data;
    if (!m) throw new Error('column metadata missing');
    const leaf = leafByName.get(m.path_in_schema[0]!);
    if (!leaf || m.path_in_schema.length !== 1)
      throw new Error(`unexpected nested column ${m.path_in_schema.join('.')}`);
    const offset = Number(m.dictionary_page_offset || m.data_page_offset);
    byName.set(leaf.element.name, {
      startByte: offset,
      endByte: offset + Number(m.total_compressed_size),
      decoder: {
        pathInSchema: m.path_in_schema,
        element: leaf.element,
        schemaPath: [tree, leaf],
        ...m,
        parsers: DEFAULT_PARSERS,
      },
    });
  }
  const get = (name: string) => {
    const r = byName.get(name);
    if (!r) throw new Error(`row group ${group} has no column ${name}`);
    return r;
  };
  return { id: get(layout.idColumn), pixels: layout.pixelColumns.map(get) };
}

/**
 * The pages of one column chunk (found at `byteOffset` in `bytes`) that cover
 * rows [selectStart, selectEnd), as hyparquet decodes them; `skipped` is the
 * row the first returned page starts at.
 */
function readPages(
  bytes: ArrayBuffer,
  byteOffset: number,
  reader: ColumnReader,
  selectStart: number,
  selectEnd: number,
) {
  const view = new DataView(bytes, byteOffset, reader.endByte - reader.startByte);
  return readColumn(
    { view, offset: 0 },
    { groupStart: 0, selectStart, selectEnd } as never,
    reader.decoder as never,
  ) as {
    data: ArrayLike<unknown>[];
    skipped: number;
  };
}

/** Decodes rows [selectStart, selectEnd) of one column chunk, calling put(row, value) for each. */
function decodeColumn(
  bytes: ArrayBuffer,
  byteOffset: number,
  reader: ColumnReader,
  selectStart: number,
  selectEnd: number,
  put: (row: number, value: unknown) => void,
): void {
  const { data, skipped } = readPages(bytes, byteOffset, reader, selectStart, selectEnd);
  let row = skipped;
  for (const page of data) {
    for (let i = 0; i < page.length; i++, row++)
      if (row >= selectStart && row < selectEnd) put(row - selectStart, page[i]);
  }
}

/**
 * Decodes one pixel column into its place in the row-major slab, flagging rows
 * with values outside 0..255. The hot loop of an import (32,332 columns x
 * rows), so it is written without a callback per value.
 */
function decodePixelColumn(
  bytes: ArrayBuffer,
  byteOffset: number,
  reader: ColumnReader,
  selectStart: number,
  selectEnd: number,
  column: number,
  slab: Uint8Array,
  bad: Uint8Array,
): void {
  const { data, skipped } = readPages(bytes, byteOffset, reader, selectStart, selectEnd);
  let row = skipped;
  for (const page of data) {
    const from = Math.max(0, selectStart - row);
    const to = Math.min(page.length, selectEnd - row);
    if (page instanceof Int32Array || page instanceof Uint8Array) {
      for (let i = from; i < to; i++) {
        const v = page[i]!;
        const r = row + i - selectStart;
        if (v < 0 || v > 255) bad[r] = 1;
        slab[r * PARQUET_PIXELS + column] = v;
      }
    } else {
      for (let i = from; i < to; i++) {
        const raw = page[i];
        const v = typeof raw === 'number' ? raw : raw === null || raw === undefined ? NaN : Number(raw);
        const r = row + i - selectStart;
        if (!(v >= 0 && v <= 255)) bad[r] = 1;
        slab[r * PARQUET_PIXELS + column] = v;
      }
    }
    row += page.length;
  }
}

/** Reads consecutive column chunks with one read each up to this many bytes. */
const READ_RUN = 8 << 20;

async function decodeSlab(
  file: FileHandle,
  readers: { id: ColumnReader; pixels: ColumnReader[] },
  start: number,
  end: number,
  slab: Uint8Array,
  bad: Uint8Array,
  job: ImportJob,
): Promise<string[]> {
  const n = end - start;
  const ids: string[] = new Array(n);
  const idBytes = await readRange(file, readers.id.startByte, readers.id.endByte);
  decodeColumn(idBytes, 0, readers.id, start, end, (row, v) => (ids[row] = v == null ? '' : String(v)));
  bad.fill(0, 0, n);
  const cols = readers.pixels;
  for (let c0 = 0; c0 < cols.length && !job.cancelled;) {
    // A run of consecutive chunks on disk, read at once.
    let c1 = c0 + 1;
    while (
      c1 < cols.length &&
      cols[c1]!.startByte === cols[c1 - 1]!.endByte &&
      cols[c1]!.endByte - cols[c0]!.startByte <= READ_RUN
    )
      c1++;
    const base = cols[c0]!.startByte;
    const bytes = await readRange(file, base, cols[c1 - 1]!.endByte);
    for (let c = c0; c < c1; c++) {
      const reader = cols[c]!;
      decodePixelColumn(bytes, reader.startByte - base, reader, start, end, c, slab, bad);
    }
    c0 = c1;
  }
  return ids;
}

type Queued = { imageId: string; source: string; encoded: Promise<Encoded> }[];

/**
 * Hands every good row of a decoded slab to the encoding workers at once (each
 * row copied out of the slab), so they encode while this thread decodes the
 * next slab. Bad rows are rejected here.
 */
function enqueueRows(
  job: ImportJob,
  pool: EncodePool,
  file: string,
  start: number,
  ids: string[],
  slab: Uint8Array,
  bad: Uint8Array,
): Queued {
  const name = basename(file);
  const queued: Queued = [];
  for (let row = 0; row < ids.length; row++) {
    const where = `${file}:row ${start + row}`;
    const imageId = ids[row];
    if (!imageId) {
      job.reject(where, 'missing image_id');
      continue;
    }
    if (bad[row]) {
      job.reject(where, `pixel values outside 0..255 in ${name}`);
      continue;
    }
    const gray = slab.slice(row * PARQUET_PIXELS, (row + 1) * PARQUET_PIXELS);
    queued.push({ imageId, source: `${name}:${imageId}`, encoded: pool.encode(gray, PARQUET_WIDTH, PARQUET_HEIGHT) });
  }
  return queued;
}

/** Stores encoded rows in order (the job writes them in batched transactions). */
async function storeRows(job: ImportJob, queued: Queued): Promise<void> {
  for (const q of queued) {
    const encoded = await q.encoded;
    job.add({
      imageId: q.imageId,
      source: q.source,
      format: 'png',
      bytes: encoded.png!,
      width: PARQUET_WIDTH,
      height: PARQUET_HEIGHT,
      encoded,
    });
  }
}

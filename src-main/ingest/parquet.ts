import { open, type FileHandle } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parquetMetadataAsync, parquetRead, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import type { ImportSummary } from '../contract/domain.js';
import type { Project } from '../store/project.js';
import { ImportJob, type ImportOptions } from './job.js';
import { applyLabelCsv } from './labels-csv.js';
import { encodeGrayPng } from './png.js';

/** The competition's image size: 137 rows of 236 pixels, row-major. */
export const PARQUET_HEIGHT = 137;
export const PARQUET_WIDTH = 236;
export const PARQUET_PIXELS = PARQUET_HEIGHT * PARQUET_WIDTH;
/**
 * Rows decoded at once. Memory is about SLAB_ROWS x 32,332 bytes whatever the
 * file or row-group size (a larger row group is read in several slabs).
 */
export const SLAB_ROWS = 8192;
/** Pixel columns decoded per parquetRead call. */
const COLUMN_BATCH = 4096;

function fileBuffer(handle: FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const buf = Buffer.allocUnsafeSlow(Math.max(0, stop - start));
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await handle.read(buf, got, buf.length - got, start + got);
        if (bytesRead === 0) throw new Error('unexpected end of file');
        got += bytesRead;
      }
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer;
    },
  };
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
): Promise<ImportSummary> {
  const job = new ImportJob(project, 'parquet', opts, 0);
  let total = 0;
  for (const f of files) {
    if (job.cancelled) break;
    total += await importOneParquet(job, resolve(f), total);
  }
  job.flush();
  if (labelsCsv && !job.cancelled) {
    await applyLabelCsv(project, resolve(labelsCsv), ({ imageId, path }) => {
      const name = imageId ?? path ?? '';
      return job.seen.get(name) ?? project.images.idByName(name) ?? `no image with image_id "${name}" in this project`;
    }, job);
  }
  return job.finish();
}

/** Imports one file; returns its row count. A broken file is rejected whole or from the broken row group on. */
async function importOneParquet(job: ImportJob, file: string, totalBefore: number): Promise<number> {
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
    const slab = new Uint8Array(Math.min(SLAB_ROWS, Math.max(rows, 1)) * PARQUET_PIXELS);
    for (let start = 0; start < rows && !job.cancelled; start += SLAB_ROWS) {
      const end = Math.min(rows, start + SLAB_ROWS);
      try {
        await decodeSlab(buffer, meta, layout, start, end, slab, job, file);
      } catch (err) {
        job.reject(`${file}:rows ${start}-${rows - 1}`, `cannot decode (truncated or corrupt): ${(err as Error).message}`);
        break;
      }
    }
    return rows;
  } finally {
    await handle.close();
  }
}

async function decodeSlab(
  buffer: AsyncBuffer,
  meta: FileMetaData,
  layout: Layout,
  start: number,
  end: number,
  slab: Uint8Array,
  job: ImportJob,
  file: string,
): Promise<void> {
  const n = end - start;
  const ids: string[] = new Array(n);
  const bad = new Uint8Array(n); // 1 = a pixel value outside 0..255
  await parquetRead({
    file: buffer,
    metadata: meta,
    columns: [layout.idColumn],
    rowStart: start,
    rowEnd: end,
    onChunk: ({ columnData, rowStart }) => {
      for (let i = 0; i < columnData.length; i++) ids[rowStart - start + i] = String(columnData[i]);
    },
  });
  const index = new Map(layout.pixelColumns.map((c, i) => [c, i]));
  for (let c0 = 0; c0 < layout.pixelColumns.length && !job.cancelled; c0 += COLUMN_BATCH) {
    await parquetRead({
      file: buffer,
      metadata: meta,
      columns: layout.pixelColumns.slice(c0, c0 + COLUMN_BATCH),
      rowStart: start,
      rowEnd: end,
      onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
        const col = index.get(columnName)!;
        const from = Math.max(rowStart, start);
        const to = Math.min(rowEnd, end);
        for (let r = from; r < to; r++) {
          const raw: unknown = columnData[r - rowStart];
          const v = typeof raw === 'number' ? raw : raw === null || raw === undefined ? NaN : Number(raw);
          const row = r - start;
          if (!(v >= 0 && v <= 255)) bad[row] = 1;
          slab[row * PARQUET_PIXELS + col] = v;
        }
      },
    });
  }
  if (job.cancelled) return;
  const name = basename(file);
  for (let row = 0; row < n; row++) {
    const source = `${file}:row ${start + row}`;
    const imageId = ids[row];
    if (!imageId || imageId === 'undefined' || imageId === 'null') {
      job.reject(source, 'missing image_id');
      continue;
    }
    if (bad[row]) {
      job.reject(source, `pixel values outside 0..255 in ${name}`);
      continue;
    }
    const gray = slab.slice(row * PARQUET_PIXELS, (row + 1) * PARQUET_PIXELS);
    job.add({
      imageId,
      source: `${name}:${imageId}`,
      format: 'png',
      bytes: encodeGrayPng(gray, PARQUET_WIDTH, PARQUET_HEIGHT),
      width: PARQUET_WIDTH,
      height: PARQUET_HEIGHT,
      gray,
      hashOf: gray,
    });
  }
}

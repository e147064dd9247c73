import { open, type FileHandle } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parquetMetadataAsync, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import type { ImportSummary } from '../contract/domain.js';
import type { Project } from '../store/project.js';
import { ImportJob, type ImportOptions } from './job.js';
import { applyLabelCsv } from './labels-csv.js';
import { TaskPool } from './parquet-pool.js';
import {
  columnsOf,
  decodeColumn,
  readRange,
  type ColumnReader,
  type GroupColumns,
  type Layout,
} from './parquet-columns.js';
import type { Encoded } from './encode.js';

/** The competition's image size: 137 rows of 236 pixels, row-major. */
export const PARQUET_HEIGHT = 137;
export const PARQUET_WIDTH = 236;
export const PARQUET_PIXELS = PARQUET_HEIGHT * PARQUET_WIDTH;
/**
 * Rows decoded at once (a window). Two windows are held, one being encoded
 * while the next is decoded: 2 x 10,000 x 32,332 bytes = 650 MB whatever the
 * file or row-group size; a larger row group is read in several windows.
 * pyarrow writes pages of 20,000 rows, so each page is decompressed twice
 * (snappy: about 0.05 ms CPU a row), which buys 650 MB of memory (peak RSS
 * was 2.3 GB with 20,000-row windows on the 50,000-row one-group file).
 */
export const SLAB_ROWS = 10_000;
/** Decode tasks per window: enough to keep every worker busy and to report progress within a window. */
const DECODE_TASKS = 16;
/** Rows per encode task, and encode tasks queued ahead of storing (each task's results are about 4 MB). */
const ENCODE_ROWS = 256;
const ENCODE_AHEAD = 8;
/** Share of a row's work that is decoding, until measured. */
const DEFAULT_DECODE_SHARE = 0.25;

/** The file as hyparquet reads its metadata. */
function fileBuffer(handle: FileHandle, size: number): AsyncBuffer {
  return { byteLength: size, slice: (start, end) => readRange(handle, start, Math.min(end ?? size, size)) };
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
  // Pixels must be integers: a float or text column would be truncated or parsed into pixels silently.
  const notInteger = leaves.find((s) => s.name !== 'image_id' && s.type !== 'INT32' && s.type !== 'INT64');
  if (notInteger) return `pixel column "${notInteger.name}" holds ${notInteger.type} values, expected integers 0..255`;
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
  const pool = new TaskPool();
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
  pool: TaskPool,
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
    let meta: FileMetaData;
    try {
      meta = await parquetMetadataAsync(fileBuffer(handle, size));
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
    const inGroups = meta.row_groups.reduce((n, g) => n + Number(g.num_rows), 0);
    if (rows !== inGroups || inGroups < 0) {
      job.reject(file, `the footer declares ${rows} rows but its row groups hold ${inGroups} (corrupt file)`);
      return 0;
    }
    if (rows === 0) {
      job.reject(file, 'the file has no rows');
      return 0;
    }
    job.setTotal(totalBefore + rows);
    await new FileImport(job, pool, handle, file, size, meta, layout, maxSlab).run();
    return rows;
  } finally {
    await handle.close();
  }
}

interface Window {
  /** Rows of this window decoded so far (fractions while its columns are decoded), until stored. */
  decoded: number;
  group: number;
  groupStart: number;
  groupRows: number;
  start: number;
  end: number;
}

/**
 * One file's import: windows of rows decoded into shared slabs by the
 * workers, then encoded by them, then stored here in file order. Two windows
 * are in flight, so the workers decode one while they encode the other.
 */
class FileImport {
  private readonly slabs: { slab: SharedArrayBuffer; bad: SharedArrayBuffer }[] = [];
  private readonly busy = new Set<number>();
  private readonly failed = new Set<number>();
  private readonly name: string;
  /** Rows decoded but not yet stored, in rows (fractions while a window is being decoded). */
  private decoded = 0;
  private stored: Promise<void> = Promise.resolve();
  private columns: { group: number; cols: GroupColumns } | null = null;

  constructor(
    private readonly job: ImportJob,
    private readonly pool: TaskPool,
    private readonly handle: FileHandle,
    private readonly file: string,
    private readonly size: number,
    private readonly meta: FileMetaData,
    private readonly layout: Layout,
    private readonly maxSlab: number,
  ) {
    this.name = basename(file);
  }

  async run(): Promise<void> {
    const groups = this.meta.row_groups.map((g) => Number(g.num_rows));
    const windowRows = Math.min(this.maxSlab, Math.max(1, ...groups));
    const inFlight: Promise<void>[] = [];
    try {
      let groupStart = 0;
      for (let g = 0; g < groups.length; g++) {
        for (let s = 0; s < groups[g]! && !this.job.cancelled && !this.failed.has(g); s += windowRows) {
          if (inFlight.length >= 2) await inFlight.shift();
          const end = Math.min(groups[g]!, s + windowRows);
          inFlight.push(
            this.window({ decoded: 0, group: g, groupStart, groupRows: groups[g]!, start: s, end }, windowRows),
          );
        }
        groupStart += groups[g]!;
      }
    } finally {
      await Promise.allSettled(inFlight);
    }
    await Promise.all(inFlight);
  }

  /** A slab no window in flight uses, allocated on first use (at most two exist). */
  private acquire(rows: number): number {
    let i = this.slabs.findIndex((_, k) => !this.busy.has(k));
    if (i < 0) {
      i = this.slabs.length;
      this.slabs.push({ slab: new SharedArrayBuffer(rows * PARQUET_PIXELS), bad: new SharedArrayBuffer(rows) });
    }
    this.busy.add(i);
    return i;
  }

  private async window(w: Window, windowRows: number): Promise<void> {
    const slot = this.acquire(windowRows);
    const { slab, bad } = this.slabs[slot]!;
    try {
      let ids: string[];
      try {
        const cols = this.groupColumns(w.group);
        new Uint8Array(bad).fill(0);
        // Both awaited together: a failure of one must not leave the other's rejection unheard.
        [ids] = await Promise.all([this.ids(cols.id, w), this.decode(w, cols, slab, bad)]);
      } catch (err) {
        // Through the store chain, so rejections stay in file order.
        this.stored = this.stored.then(() => this.rejectGroup(w, err as Error));
        await this.stored;
        return;
      }
      const previous = this.stored;
      this.stored = previous.then(() => this.store(w, ids, new Uint8Array(bad), slab));
      await this.stored;
    } finally {
      this.busy.delete(slot);
    }
  }

  private rejectGroup(w: Window, err: Error): void {
    this.decoded -= w.decoded;
    w.decoded = 0;
    if (this.failed.has(w.group)) return;
    this.failed.add(w.group);
    this.job.reject(
      `${this.file}:row group ${w.group} (rows ${w.groupStart}-${w.groupStart + w.groupRows - 1})`,
      `cannot decode (truncated or corrupt): ${err.message}`,
    );
  }

  /** Decodes a window on the workers, reporting progress as each share of its columns lands. */
  private async decode(w: Window, cols: GroupColumns, slab: SharedArrayBuffer, bad: SharedArrayBuffer) {
    const chunks = cols.pixels;
    const per = Math.ceil(chunks.length / DECODE_TASKS / 4) * 4;
    const rows = w.end - w.start;
    const stage = `reading ${this.name} rows ${w.groupStart + w.start}-${w.groupStart + w.end - 1}`;
    this.report(stage);
    const tasks: Promise<void>[] = [];
    for (let c = 0; c < chunks.length; c += per) {
      const part = chunks.slice(c, c + per);
      const task = this.pool.decode({
        file: this.file,
        chunks: part,
        column: c,
        rowStart: w.start,
        rowEnd: w.end,
        stride: PARQUET_PIXELS,
        slab,
        bad,
      });
      tasks.push(
        task.then(() => {
          if (this.failed.has(w.group)) return;
          const share = (rows * part.length) / chunks.length;
          w.decoded += share;
          this.decoded += share;
          this.report(stage);
        }),
      );
    }
    await Promise.all(tasks);
  }

  /**
   * Encodes a window's rows on the workers and stores them in order; bad rows
   * are rejected here. Encoding runs at most ENCODE_AHEAD tasks ahead of
   * storing, so finished rows do not pile up in memory.
   */
  private async store(w: Window, ids: string[], bad: Uint8Array, slab: SharedArrayBuffer) {
    const stage = `storing ${this.name} rows ${w.groupStart + w.start}-${w.groupStart + w.end - 1}`;
    const rows = w.end - w.start;
    const encoded: Promise<Encoded[]>[] = [];
    const submit = () => {
      const from = encoded.length * ENCODE_ROWS;
      if (from >= rows) return;
      const to = Math.min(rows, from + ENCODE_ROWS);
      encoded.push(this.pool.encode({ slab, from, to, width: PARQUET_WIDTH, height: PARQUET_HEIGHT }));
    };
    for (let k = 0; k < ENCODE_AHEAD; k++) submit();
    let row = 0;
    for (let k = 0; k < encoded.length; k++) {
      let results: Encoded[];
      try {
        results = await encoded[k]!;
        submit();
      } catch (err) {
        // The tasks already submitted after this one fail or finish unheard.
        for (const later of encoded.slice(k + 1)) later.catch(() => {});
        // An encoding failure is not the file's fault; fail the import as any internal error would.
        throw new Error(`encoding rows of ${this.name} failed: ${(err as Error).message}`);
      }
      for (const e of results) this.storeRow(w, row++, ids, bad, e);
      const storedShare = Math.min(w.decoded, results.length);
      w.decoded -= storedShare;
      this.decoded -= storedShare;
      this.report(stage);
    }
  }

  private storeRow(w: Window, row: number, ids: string[], bad: Uint8Array, e: Encoded): void {
    const where = `${this.file}:row ${w.groupStart + w.start + row}`;
    const imageId = ids[row];
    if (!imageId) return this.job.reject(where, 'missing image_id');
    if (bad[row]) return this.job.reject(where, `pixel values outside 0..255 in ${this.name}`);
    this.job.add({
      imageId,
      source: `${this.name}:${imageId}`,
      format: 'png',
      bytes: e.png!,
      width: PARQUET_WIDTH,
      height: PARQUET_HEIGHT,
      encoded: e,
    });
  }

  /** Tells the job how much work is done on rows not yet stored, weighted by what decoding costs. */
  private report(stage: string): void {
    const c = this.pool.cost;
    let share = DEFAULT_DECODE_SHARE;
    if (c.decodeRows > 0 && c.encodeRows > 0) {
      const d = c.decodeMs / c.decodeRows;
      share = d / (d + c.encodeMs / c.encodeRows);
    }
    this.job.progressWithin(this.decoded * share, stage);
  }

  private groupColumns(group: number): GroupColumns {
    if (this.columns?.group !== group)
      this.columns = { group, cols: columnsOf(this.meta, group, this.layout, this.size) };
    return this.columns.cols;
  }

  private async ids(reader: ColumnReader, w: Window): Promise<string[]> {
    const n = w.end - w.start;
    const ids: string[] = new Array(n);
    const bytes = await readRange(this.handle, reader.startByte, reader.endByte);
    decodeColumn(bytes, reader, w.start, w.end, (row, v) => (ids[row] = v == null ? '' : String(v)));
    return ids;
  }
}

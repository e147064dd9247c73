/**
 * Parquet import on files written the real way: pyarrow with its defaults
 * (snappy, dictionary encoding, one row group for the whole file). Skipped,
 * with the reason printed, where pyarrow cannot be installed from the local
 * pip index.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImportProgress } from '../../src-main/contract/events.js';
import { decodeImage } from '../../src-main/ingest/decode.js';
import { importParquet } from '../../src-main/ingest/parquet.js';
import { Project } from '../../src-main/store/project.js';
import { tempDir } from '../helpers.js';
import { competitionImages, trainCsv } from '../fixtures/parquet.js';
import { pyarrowPython, writePyarrowParquet } from '../fixtures/pyarrow.js';

const py = pyarrowPython();
if ('error' in py) console.log(`skipping pyarrow parquet tests: ${py.error}`);

const ROWS = 3000;
const CHECK = [0, 1234, 1999, 2999];
const dir = mkdtempSync(join(tmpdir(), 'gs-pyarrow-test-'));
const oneGroup = join(dir, 'train_image_data_0.parquet');
const groups = join(dir, 'train_image_data_1.parquet');
const csv = join(dir, 'train.csv');
let expected: Uint8Array[] = [];
let images: Awaited<ReturnType<typeof competitionImages>>;

async function storedPixels(p: Project, imageId: string): Promise<Buffer> {
  const stored = p.images.bytes(p.images.idByName(imageId)!)!;
  const decoded = await decodeImage(stored.bytes);
  expect([decoded.width, decoded.height]).toEqual([236, 137]);
  return Buffer.from(decoded.gray);
}

describe.skipIf('error' in py)('parquet import of pyarrow-written files', () => {
  beforeAll(() => {
    const python = (py as { python: string }).python;
    return competitionImages(60).then((imgs) => {
      images = imgs;
      expected = writePyarrowParquet(python, oneGroup, { rows: ROWS, images, dumpRows: CHECK });
      writePyarrowParquet(python, groups, { rows: ROWS, images, rowGroupSize: 1500, prefix: 'G_', nullRows: [7] });
      writeFileSync(csv, trainCsv(images, ROWS));
    });
  }, 600_000);

  it('imports one 3,000-row group with every pixel intact, and labels it', async () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    const r = await importParquet(p, [oneGroup], csv, { jobId: 'a' });
    expect(r).toMatchObject({ imported: ROWS, duplicates: 0, labeled: ROWS, rejected: [] });
    for (const [i, row] of CHECK.entries())
      expect((await storedPixels(p, `Train_${row}`)).equals(Buffer.from(expected[i]!))).toBe(true);
    expect(p.images.get(p.images.idByName('Train_1234')!)).toMatchObject({ root: images[1234 % 60]!.sample.root });
    p.close();
  });

  it('reads groups in windows smaller than a group and than a page, and rejects the row with a null pixel', async () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    const r = await importParquet(p, [groups], undefined, { jobId: 'b' }, 1000);
    expect(r.imported).toBe(ROWS - 1);
    expect(r.rejected).toEqual([
      { source: `${groups}:row 7`, reason: 'pixel values outside 0..255 in train_image_data_1.parquet' },
    ]);
    // Same pixels as the one-group file: rows come from the same crops and the same random sequence.
    for (const [i, row] of CHECK.entries())
      expect((await storedPixels(p, `G_${row}`)).equals(Buffer.from(expected[i]!))).toBe(true);
    p.close();
  });

  it('reports progress with rising counts, a rate and an ETA while the row group is still being read', async () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    const events: (ImportProgress & { at: number })[] = [];
    let finished = 0;
    const run = importParquet(p, [oneGroup], undefined, {
      jobId: 'c',
      progressIntervalMs: 0,
      onProgress: (e) => events.push({ ...e, at: Date.now() }),
    }).then((r) => ((finished = Date.now()), r));
    expect((await run).imported).toBe(ROWS);
    const before = events.filter((e) => e.at < finished && e.done < ROWS);
    // While the one row group is read, nothing is stored yet, but the work done is reported and grows.
    const reading = before.filter((e) => e.done === 0 && e.stage?.startsWith('reading'));
    expect(reading.length).toBeGreaterThan(3);
    expect(reading.at(-1)!.fraction!).toBeGreaterThan(reading[0]!.fraction!);
    // Then rows are stored, in rising counts, and the estimates are there before the end.
    expect(before.filter((e) => e.done > 0).length).toBeGreaterThan(3);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.done).toBeGreaterThanOrEqual(events[i - 1]!.done);
      expect(events[i]!.fraction!).toBeGreaterThanOrEqual(events[i - 1]!.fraction! - 1e-9);
    }
    const estimated = before.filter((e) => e.rate && e.etaSeconds !== null);
    expect(estimated.length).toBeGreaterThan(0);
    expect(estimated[0]!.rate!).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ done: ROWS, total: ROWS, fraction: 1 });
    p.close();
  });

  it('rejects a row group whose page header is corrupt, by name, keeping the other group', async () => {
    const broken = join(tempDir(), 'broken.parquet');
    writeFileSync(broken, readFileSync(groups));
    const buf = readFileSync(groups);
    const meta = parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer);
    const chunk = meta.row_groups[1]!.columns[5000]!.meta_data!;
    const fd = openSync(broken, 'r+');
    writeSync(fd, Buffer.alloc(16, 0xff), 0, 16, Number(chunk.data_page_offset));
    closeSync(fd);
    const p = new Project(join(tempDir(), 'p.sqlite'));
    const r = await importParquet(p, [broken], undefined, { jobId: 'd' });
    expect(r.imported).toBe(1499);
    expect(r.rejected.map((x) => x.source)).toEqual([`${broken}:row 7`, `${broken}:row group 1 (rows 1500-2999)`]);
    expect(r.rejected[1]!.reason).toMatch(/^cannot decode \(truncated or corrupt\): /);
    p.close();
  });
});

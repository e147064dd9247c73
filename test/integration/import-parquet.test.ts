import { openSync, readFileSync, ftruncateSync, closeSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importParquet, PARQUET_PIXELS } from '../../src-main/ingest/parquet.js';
import { importLabels } from '../../src-main/ingest/labels-csv.js';
import { exportLabels } from '../../src-main/ingest/export-labels.js';
import { decodeImage } from '../../src-main/ingest/decode.js';
import { preprocess } from '../../src-main/ingest/preprocess.js';
import { imagePixels, loadDataset } from '../../src-main/train/data.js';
import { Project } from '../../src-main/store/project.js';
import { tempDir } from '../helpers.js';
import { competitionImages, rowPixels, trainCsv, writeCompetitionParquet } from '../fixtures/parquet.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

let images: Awaited<ReturnType<typeof competitionImages>>;
const shared = mkdtempSync(join(tmpdir(), 'gs-parquet-'));
const good = join(shared, 'train_image_data_0.parquet');
const csv = join(shared, 'train.csv');

beforeAll(async () => {
  images = await competitionImages(40);
  writeCompetitionParquet(good, { rows: 30, images, rowGroupSize: 16 });
  writeFileSync(csv, trainCsv(images, 30));
});

const opts = { jobId: 'p' };

describe('parquet import', () => {
  it('imports every row with its pixels intact, across row groups and slabs, and labels it', async () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    const r = await importParquet(p, [good], csv, opts, 7);
    expect(r).toMatchObject({ imported: 30, duplicates: 0, labeled: 30, rejected: [] });
    // Row 17 decodes back to exactly the pixels that were written.
    const expected = new Uint8Array(PARQUET_PIXELS);
    rowPixels(images, 17, expected);
    const id = p.images.idByName('Train_17')!;
    const stored = p.images.bytes(id)!;
    const decoded = await decodeImage(stored.bytes);
    expect([decoded.width, decoded.height]).toEqual([236, 137]);
    expect(Buffer.from(decoded.gray).equals(Buffer.from(expected))).toBe(true);
    expect(p.images.get(id)).toMatchObject({ state: 'labeled', root: images[17]!.sample.root });
    p.close();
  });

  it('stores no training cache for its rows; the trainer derives the same tensor from the stored PNG', async () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    await importParquet(p, [good], csv, opts);
    expect(p.db.prepare('SELECT count(*) FROM image_cache').pluck().get()).toBe(0);
    const original = new Uint8Array(PARQUET_PIXELS);
    rowPixels(images, 5, original);
    const id = p.images.idByName('Train_5')!;
    for (const size of [64, 128])
      expect(
        Buffer.from(await imagePixels(p.db, id, size)).equals(Buffer.from(preprocess(original, 236, 137, size))),
      ).toBe(true);
    const ds = await loadDataset(p.db, [id, p.images.idByName('Train_6')!], 64);
    expect(ds.pixels).toHaveLength(2 * 64 * 64);
    expect(Buffer.from(ds.pixels.subarray(0, 64 * 64)).equals(Buffer.from(preprocess(original, 236, 137, 64)))).toBe(
      true,
    );
    p.close();
  });

  it('is idempotent and round-trips train.csv exactly', async () => {
    const dir = tempDir();
    const p = new Project(join(dir, 'p.sqlite'));
    await importParquet(p, [good], undefined, opts);
    expect((await importLabels(p, csv, opts)).labeled).toBe(30);
    const again = await importParquet(p, [good], csv, opts);
    expect(again).toMatchObject({ imported: 0, duplicates: 30, labeled: 0, rejected: [] });
    const out = join(dir, 'out.csv');
    await exportLabels(p, out);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(csv, 'utf8'));
    p.close();
  });

  it('rejects a file with the wrong pixel count and a truncated file, by name, keeping good files', async () => {
    const dir = tempDir();
    const narrow = join(dir, 'narrow.parquet');
    writeCompetitionParquet(narrow, { rows: 3, images, pixelColumns: 32000, prefix: 'N_' });
    const truncated = join(dir, 'truncated.parquet');
    writeFileSync(truncated, readFileSync(good));
    const fd = openSync(truncated, 'r+');
    ftruncateSync(fd, Math.floor(statSync(good).size / 2));
    closeSync(fd);
    const p = new Project(join(dir, 'p.sqlite'));
    const r = await importParquet(p, [narrow, truncated, good, join(dir, 'absent.parquet')], undefined, opts);
    expect(r.imported).toBe(30);
    const reasons = Object.fromEntries(r.rejected.map((x) => [x.source, x.reason]));
    expect(reasons[narrow]).toBe('has 32000 pixel columns, expected 32332 (137x236)');
    expect(reasons[truncated]).toMatch(/^not a readable parquet file \(truncated or corrupt\)/);
    expect(reasons[join(dir, 'absent.parquet')]).toBe('cannot open: ENOENT');
    p.close();
  });

  it('rejects CSV rows naming unknown images or out-of-range classes', async () => {
    const dir = tempDir();
    const p = new Project(join(dir, 'p.sqlite'));
    await importParquet(p, [good], undefined, opts);
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      'image_id,grapheme_root,vowel_diacritic,consonant_diacritic\nTrain_0,1,11,0\nTrain_999,1,1,1\nTrain_1,1,1,7\nTrain_2,1,1,x\nTrain_3,0,0,0\nTrain_3,0,0,0\n',
    );
    const r = await importLabels(p, bad, opts);
    expect(r.labeled).toBe(1);
    expect(r.rejected).toEqual([
      { source: `${bad}:2`, reason: 'vowel_diacritic 11 is out of range 0..10' },
      { source: `${bad}:3`, reason: 'no image with image_id "Train_999" in this project' },
      { source: `${bad}:4`, reason: 'consonant_diacritic 7 is out of range 0..6' },
      { source: `${bad}:5`, reason: 'consonant_diacritic "x" is not an integer' },
      { source: `${bad}:7`, reason: 'duplicate row for "Train_3" (first on line 6)' },
    ]);
    const missingColumn = join(dir, 'cols.csv');
    writeFileSync(missingColumn, 'image_id,grapheme_root\nTrain_0,1\n');
    await expect(importLabels(p, missingColumn, opts)).rejects.toThrow(
      `${missingColumn}: missing column(s) vowel_diacritic, consonant_diacritic`,
    );
    p.close();
  });
});

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { importFolder } from '../../src-main/ingest/folder.js';
import { importLabels } from '../../src-main/ingest/labels-csv.js';
import { exportLabels } from '../../src-main/ingest/export-labels.js';
import { encodeGrayPng } from '../../src-main/ingest/png.js';
import { Project } from '../../src-main/store/project.js';
import { FORMS, tempDir } from '../helpers.js';
import { formSamples } from '../fixtures/parquet.js';

const opts = (jobId = 'job') => ({ jobId });

/** A PNG whose header claims 40000x40000 pixels but whose data is tiny: a decompression bomb. */
function bombPng(): Buffer {
  const real = encodeGrayPng(new Uint8Array(4), 2, 2);
  const buf = Buffer.from(real);
  buf.writeUInt32BE(40000, 16);
  buf.writeUInt32BE(40000, 20);
  // Fix the IHDR CRC so decoders reach the size check rather than a checksum error.
  const crc = (data: Buffer) => {
    let c = ~0;
    for (const b of data) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    return ~c >>> 0;
  };
  buf.writeUInt32BE(crc(buf.subarray(12, 29)), 29);
  void deflateSync;
  return buf;
}

describe('folder import', () => {
  it('imports the real handwriting with its labels, and a second run adds nothing', async () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    const csv = join(FORMS, 'labels.csv');
    const first = await importFolder(p, FORMS, csv, opts());
    expect(first).toMatchObject({ imported: 405, duplicates: 0, labeled: 405, rejected: [] });
    const img = p.images.get(p.images.idByName('scan0000/r0c0')!)!;
    expect([img.root, img.vowel, img.consonant, img.width, img.height]).toEqual([13, 2, 5, 209, 128]);
    expect(p.images.cached(img.id, 64)).toHaveLength(64 * 64);

    const again = await importFolder(p, FORMS, csv, opts());
    expect(again).toMatchObject({ imported: 0, duplicates: 405, labeled: 0, rejected: [] });
    expect(p.labels.stats().images).toBe(405);
    p.close();
  });

  it('rejects each bad file and bad row with a reason naming it, imports the good ones, changes nothing stored', async () => {
    const dir = tempDir();
    const folder = join(dir, 'images');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    const samples = formSamples()
      .filter((x) => x.path.startsWith('scan0020/'))
      .slice(0, 6);
    samples.forEach((s, i) => copyFileSync(join(FORMS, s.path), join(folder, i < 3 ? '' : 'sub', `g${i}.png`)));
    await sharp(join(FORMS, samples[0]!.path))
      .jpeg()
      .toFile(join(folder, 'sub', 'photo.jpg'));
    writeFileSync(join(folder, 'empty.png'), '');
    writeFileSync(join(folder, 'truncated.png'), readFileSync(join(FORMS, samples[1]!.path)).subarray(0, 300));
    writeFileSync(join(folder, 'notes.txt'), 'these are not pixels');
    writeFileSync(join(folder, 'bomb.png'), bombPng());
    const csv = join(dir, 'labels.csv');
    writeFileSync(
      csv,
      [
        'path,grapheme_root,vowel_diacritic,consonant_diacritic',
        'g0.png,13,2,5',
        'sub/g3.png,64,7,2',
        'g1.png,200,0,0', // line 4: out of range
        'g2.png,-1,0,0', // line 5: negative
        'sub/g4.png,abc,0,0', // line 6: not a number
        'missing.png,1,1,1', // line 7: unknown file
        'g0.png,13,2,5', // line 8: duplicate
        'sub/photo.jpg,23,0,0',
      ].join('\n'),
    );

    const p = new Project(join(dir, 'p.sqlite'));
    // Something already stored, which the bad import must not touch.
    const before = await importFolder(p, join(FORMS, 'scan0000'), undefined, opts('pre'));
    expect(before.imported).toBe(81);
    const kept = p.images.idByName('r0c0')!;
    p.labels.apply([{ imageId: kept, state: 'labeled', root: 1, vowel: 1, consonant: 1 }], 'ann', 'edit');

    const r = await importFolder(p, folder, csv, opts());
    const reasons = Object.fromEntries(r.rejected.map((x) => [x.source.replace(dir + '/', ''), x.reason]));
    expect(reasons['images/empty.png']).toBe('empty file');
    expect(reasons['images/notes.txt']).toBe('not a PNG or JPEG image');
    expect(reasons['images/truncated.png']).toMatch(/unreadable PNG \(truncated or corrupt\)/);
    expect(reasons['images/bomb.png']).toMatch(/40000x40000 pixels, over the limit/);
    expect(reasons['labels.csv:4']).toBe('grapheme_root 200 is out of range 0..167');
    expect(reasons['labels.csv:5']).toBe('grapheme_root -1 is out of range 0..167');
    expect(reasons['labels.csv:6']).toBe('grapheme_root "abc" is not an integer');
    expect(reasons['labels.csv:7']).toBe('no image at path "missing.png" in this folder');
    expect(reasons['labels.csv:8']).toBe('duplicate row for "g0.png" (first on line 2)');
    expect(r.imported).toBe(7);
    expect(r.duplicates).toBe(0);
    expect(r.labeled).toBe(3);
    expect(p.images.get(p.images.idByName('sub/g3')!)).toMatchObject({
      state: 'labeled',
      root: 64,
      vowel: 7,
      consonant: 2,
    });
    expect(p.images.get(p.images.idByName('g1')!)!.state).toBe('unlabeled');
    expect(p.images.get(p.images.idByName('sub/photo')!)!.root).toBe(23);
    // What was stored before is unchanged.
    expect(p.images.get(kept)).toMatchObject({ state: 'labeled', root: 1, vowel: 1, consonant: 1, annotator: 'ann' });
    expect(p.labels.stats().images).toBe(81 + r.imported);
    p.close();
  });

  it('stops between batches when cancelled and completes when run again', async () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    const controller = new AbortController();
    const partial = await importFolder(p, FORMS, undefined, {
      jobId: 'c',
      signal: controller.signal,
      onProgress: (e) => e.imported > 0 && controller.abort(),
    });
    expect(partial.cancelled).toBe(true);
    expect(partial.imported).toBeLessThan(405);
    const rest = await importFolder(p, FORMS, undefined, opts());
    expect(rest.imported + rest.duplicates).toBe(405);
    expect(p.labels.stats().images).toBe(405);
    p.close();
  });

  it('reports a missing folder and a missing CSV clearly', async () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    await expect(importFolder(p, '/nonexistent/dir', undefined, opts())).rejects.toThrow(
      'Folder not found: /nonexistent/dir',
    );
    await expect(importLabels(p, '/nonexistent/train.csv', opts())).rejects.toThrow(
      /Cannot read labels CSV \/nonexistent\/train.csv: ENOENT/,
    );
    p.close();
  });
});

describe('labels CSV round trip', () => {
  it('exports exactly what train.csv said', async () => {
    const dir = tempDir();
    const p = new Project(join(dir, 'p.sqlite'));
    await importFolder(p, join(FORMS, 'scan0000'), undefined, opts());
    const lines = ['image_id,grapheme_root,vowel_diacritic,consonant_diacritic,grapheme'];
    for (const s of formSamples().filter((s) => s.path.startsWith('scan0000/'))) {
      lines.push(`${s.path.slice(9, -4)},${s.root},${s.vowel},${s.consonant},${s.grapheme}`);
    }
    const csv = join(dir, 'train.csv');
    writeFileSync(csv, lines.join('\n') + '\n');
    const r = await importLabels(p, csv, opts());
    expect(r).toMatchObject({ labeled: 81, rejected: [] });
    const out = join(dir, 'out.csv');
    expect(await exportLabels(p, out)).toEqual({ rows: 81, path: out });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(csv, 'utf8'));
    // Re-applying the same file is a no-op.
    expect((await importLabels(p, csv, opts())).labeled).toBe(0);
    p.close();
  });
});

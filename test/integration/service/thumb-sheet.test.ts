/** Contact sheets for the Browse grid: every tile where it belongs, blank where there is no image. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inLanes, LANES, thumbSheet } from '../../../src-main/service/thumb-sheet.js';
import { Project } from '../../../src-main/store/project.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
let dir = '';
let project: Project;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gs-sheet-'));
  const db = join(dir, 'p.db');
  execFileSync(process.execPath, [
    join(ROOT, 'bin/grapheme-studio.js'),
    'import',
    '--db',
    db,
    '--folder',
    join(ROOT, 'resources/starter/bengaliai-forms/scan0000'),
    '--json',
  ]);
  project = new Project(db);
});

afterAll(() => {
  project?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Mean brightness of one tile of a decoded sheet. */
function tileMean(data: Buffer, sheetWidth: number, tile: number, w: number, h: number, columns: number): number {
  const x0 = (tile % columns) * w;
  const y0 = Math.floor(tile / columns) * h;
  let sum = 0;
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) sum += data[y * sheetWidth + x]!;
  return sum / (w * h);
}

it('lays out the thumbnails in rows of columns, in the order of the ids', async () => {
  const ids = [3, 1, 2];
  const sheet = await thumbSheet(project.images, ids, 96);
  expect(sheet).toMatchObject({ ids, columns: 12, cellWidth: 96, cellHeight: 56 });
  const jpeg = Buffer.from(sheet.dataUrl.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
  const { data, info } = await sharp(jpeg).greyscale().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([12 * 96, 56]);
  const means = [0, 1, 2, 3].map((t) => tileMean(data, info.width, t, 96, 56, 12));
  // Ink makes the three image tiles darker than the empty fourth one, which is white.
  for (const m of means.slice(0, 3)) expect(m).toBeLessThan(245);
  expect(means[3]).toBeGreaterThan(250);

  // Each tile is its own image: the sheet of [1] matches tile 1 of the sheet above.
  const single = await thumbSheet(project.images, [1], 96);
  const one = await sharp(Buffer.from(single.dataUrl.split(',')[1]!, 'base64'))
    .greyscale()
    .raw()
    .toBuffer();
  expect(Math.abs(tileMean(one, 12 * 96, 0, 96, 56, 12) - means[1]!)).toBeLessThan(2);
});

it('refuses an id that does not exist', async () => {
  await expect(thumbSheet(project.images, [1, 999_999], 96)).rejects.toThrow('Image 999999 does not exist.');
});

it('makes the tiles at most LANES at a time, in the order of the ids', async () => {
  let inFlight = 0;
  let most = 0;
  const made = await inLanes([5, 4, 3, 2, 1, 0], LANES, async (n, i) => {
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, n * 5)); // later items finish first
    inFlight--;
    return `${i}:${n}`;
  });
  expect(most).toBe(LANES);
  expect(made).toEqual(['0:5', '1:4', '2:3', '3:2', '4:1', '5:0']);
});

it("reads a sheet's files in one query by primary key", () => {
  const plan = project.db
    .prepare(
      'EXPLAIN QUERY PLAN SELECT image_id, bytes FROM image_bytes WHERE image_id IN (SELECT value FROM json_each(?))',
    )
    .all('[1,2]') as { detail: string }[];
  expect(plan.map((p) => p.detail).join(' | ')).toMatch(/SEARCH image_bytes USING INTEGER PRIMARY KEY/);
  expect([...project.images.bytesOf([2, 999_999, 1]).keys()].sort()).toEqual([1, 2]);
});

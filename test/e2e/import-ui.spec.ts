/**
 * Issue 13, finding 3: browser mode imports from the UI. A folder (with its labels
 * CSV and a broken file), a parquet with its train.csv, and a path on the server
 * go through the real upload and the real importers; the dialog shows progress,
 * the summary and every rejection; an upload can be cancelled; the labels come
 * back as a CSV download.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import Database from 'better-sqlite3';
import { test, expect, STARTER } from './fixtures.js';
import { competitionImages, trainCsv, writeCompetitionParquet } from '../fixtures/parquet.js';

/** `count` starter crops, mirrored so their content is new to the project, as 001.png, 002.png … */
async function newImages(dir: string, count: number, from = 'scan0033'): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const scan = join(STARTER, from);
  const names = readdirSync(scan).slice(0, count);
  for (const [i, name] of names.entries())
    await sharp(join(scan, name))
      .flop()
      .toFile(join(dir, `${String(i + 1).padStart(3, '0')}.png`));
}

const count = (db: string, sql: string) => {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).pluck().get() as number;
  } finally {
    d.close();
  }
};

test.setTimeout(120_000);

test('import a folder, parquet + CSV and a server path from the dialog; cancel an upload; download labels', async ({
  page,
  studio,
}) => {
  const scratch = mkdtempSync(join(tmpdir(), 'gs-import-ui-'));
  try {
    await page.goto(studio.openUrl);
    await page.getByRole('button', { name: 'Import / export' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import and export' });
    const status = dialog.getByTestId('import-status');

    // A folder that repeats names (001.png …), with a labels CSV by path and a broken file.
    const folder = join(scratch, 'batch1');
    await newImages(folder, 10);
    writeFileSync(
      join(folder, 'labels.csv'),
      'path,grapheme_root,vowel_diacritic,consonant_diacritic\n001.png,13,2,5\n',
    );
    writeFileSync(join(folder, 'bad.png'), 'not an image');
    await dialog.getByTestId('import-folder').setInputFiles(folder);
    await expect(status).toContainText('Imported 10 images (0 already present), labeled 1, rejected 1.', {
      timeout: 30_000,
    });
    await expect(dialog.getByRole('table', { name: 'Rejected' })).toContainText('batch1/bad.png');
    await page.screenshot({ path: test.info().outputPath('import-folder.png') });
    expect(count(studio.db, 'SELECT count(*) FROM images')).toBe(415);
    expect(
      count(studio.db, "SELECT root FROM labels l JOIN images i ON i.id = l.image_id WHERE i.image_id = '001'"),
    ).toBe(13);
    // Nothing of the upload is left beside the project.
    expect(readdirSync(join(dirname(studio.db), '.project.db.uploads'))).toEqual([]);

    // Bengali.AI parquet with its train.csv, chosen as files.
    const images = await competitionImages(6);
    writeCompetitionParquet(join(scratch, 'train_image_data_0.parquet'), { rows: 6, images });
    writeFileSync(join(scratch, 'train.csv'), trainCsv(images, 6));
    await dialog
      .getByTestId('import-files')
      .setInputFiles([join(scratch, 'train_image_data_0.parquet'), join(scratch, 'train.csv')]);
    await expect(status).toContainText('Imported 6 images (0 already present), labeled 6, rejected 0.', {
      timeout: 30_000,
    });

    // A folder already on the machine that runs Grapheme Studio, by its path.
    const onServer = join(scratch, 'scans', 'scan9000');
    await newImages(onServer, 3, 'scan0059');
    await dialog.getByLabel('Paths on the machine that runs Grapheme Studio, one per line').fill(onServer);
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(status).toContainText('Imported 3 images', { timeout: 30_000 });
    expect(count(studio.db, 'SELECT count(*) FROM images')).toBe(424);

    // Cancel while uploading (the network slowed so that the upload is still under way).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 256 * 1024,
    });
    await newImages(join(scratch, 'slow'), 40, 'scan0098');
    await dialog.getByTestId('import-folder').setInputFiles(join(scratch, 'slow'));
    await expect(status).toContainText('Uploading');
    await dialog.getByRole('button', { name: 'Cancel import' }).click();
    await expect(status).toContainText('Cancelled: nothing more was imported.');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    expect(count(studio.db, 'SELECT count(*) FROM images')).toBe(424);
    await expect.poll(() => readdirSync(join(dirname(studio.db), '.project.db.uploads'))).toEqual([]);

    // The labels as train.csv, downloaded.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('link', { name: 'Download labels (train.csv format)' }).click(),
    ]);
    const csv = join(scratch, 'labels.csv');
    await download.saveAs(csv);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('image_id,grapheme_root,vowel_diacritic,consonant_diacritic,grapheme');
    expect(lines).toHaveLength(1 + 7);
    expect(lines).toContain('001,13,2,5,ক্রি');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

/**
 * Issue 13, finding 2: exporting to the suggested folder works (its missing
 * parents inside the project's folder are created), a success clears the
 * failure shown before it, and browser mode offers the export as one ZIP
 * download that unzip accepts (CRCs checked) and whose files match the model card.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test, expect, TINY, callApi } from './train-fixtures.js';

test.setTimeout(150_000);

test('export to the suggested folder, a failure cleared by the next success, a ZIP download', async ({
  page,
  studio,
}) => {
  await page.goto(studio.openUrl.replace('#/label', '#/models'));
  const { runId } = await callApi<{ runId: number }>(page, 'training.start', { ...TINY, epochs: 1 });
  await expect
    .poll(() => studio.query<{ status: string }>('SELECT status FROM runs WHERE id = ?', runId)[0]?.status, {
      timeout: 90_000,
    })
    .toBe('done');
  await page.reload();
  const row = page.getByTestId('run-row').first();
  await row.getByRole('button', { name: 'Export' }).click();
  const folder = page.getByLabel('Export folder');
  const suggested = await folder.inputValue();
  expect(suggested).toBe(join(dirname(studio.db), 'exports', `run-${runId}`));
  expect(existsSync(dirname(suggested))).toBe(false);

  // Outside the folders the app owns, a missing parent is still refused, with the reason.
  const elsewhere = join(mkdtempSync(join(tmpdir(), 'gs-elsewhere-')), 'no', 'such', 'run');
  await folder.fill(elsewhere);
  const submit = page.locator('tr.export').getByRole('button', { name: 'Export', exact: true });
  await submit.click();
  const failed = page.getByTestId('notification').filter({ hasText: `Export of run #${runId} failed` });
  await expect(failed).toContainText('does not exist');
  expect(existsSync(dirname(elsewhere))).toBe(false);
  rmSync(join(elsewhere, '..', '..', '..'), { recursive: true, force: true });

  await row.getByRole('button', { name: 'Export' }).click();
  await folder.fill(suggested);
  await submit.click();
  await expect(page.getByTestId('notification').filter({ hasText: `Run #${runId} exported` })).toBeVisible({
    timeout: 60_000,
  });
  await expect(failed).toHaveCount(0);
  expect(readdirSync(suggested)).toEqual(expect.arrayContaining(['model.onnx', 'labels.json', 'tfjs']));

  // Browser mode: the same export as one download.
  await row.getByRole('button', { name: 'Export' }).click();
  await page.screenshot({ path: test.info().outputPath('export-row.png') });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download as .zip' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`run-${runId}.zip`);
  const scratch = mkdtempSync(join(tmpdir(), 'gs-zip-'));
  try {
    const archive = join(scratch, 'run.zip');
    await download.saveAs(archive);
    // unzip -t reads every entry and checks its CRC-32.
    expect(execFileSync('unzip', ['-t', archive], { encoding: 'utf8' })).toContain('No errors detected');
    execFileSync('unzip', ['-q', archive, '-d', scratch]);
    const root = join(scratch, `run-${runId}`);
    const card = JSON.parse(readFileSync(join(root, 'model-card.json'), 'utf8')) as {
      files: Record<string, { bytes: number; sha256: string }>;
    };
    expect(Object.keys(card.files)).toEqual(expect.arrayContaining(['model.onnx', 'tfjs/model.json']));
    for (const [path, f] of Object.entries(card.files)) {
      const bytes = readFileSync(join(root, path));
      expect([path, bytes.length]).toEqual([path, f.bytes]);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

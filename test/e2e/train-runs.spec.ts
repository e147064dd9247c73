/**
 * The Runs page (#/runs) over real browser mode: two real tiny runs are
 * listed with config, engine and metrics, their curves overlay, one exports
 * to a folder through the export call, and one is deleted with its files.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, expect, TINY, callApi } from './train-fixtures.js';

const SHOTS = resolve(import.meta.dirname, '..', '..', 'docs', 'screenshots');
test.setTimeout(150_000);

test('Runs page: every run with its metrics, two runs overlaid, export, delete', async ({ page, studio }) => {
  await page.goto(studio.openUrl.replace('#/label', '#/runs'));
  await expect(page.getByText('No run yet')).toBeVisible();
  for (const lr of [0.001, 0.003]) {
    const { runId } = await callApi<{ runId: number }>(page, 'training.start', { ...TINY, epochs: 1, lr });
    await expect
      .poll(() => studio.query<{ status: string }>('SELECT status FROM runs WHERE id = ?', runId)[0]?.status, {
        timeout: 90_000,
      })
      .toBe('done');
  }
  // The page's old address (#/models) still opens it.
  await page.goto(studio.openUrl.replace('#/label', '#/models'));
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Runs', level: 1 })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Runs' })).toHaveAttribute('aria-current', 'page');
  const rows = page.getByTestId('run-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('#2');
  await expect(rows.first()).toContainText('lr 0.003');
  await expect(rows.first()).toContainText('WebAssembly on the processor');
  const recall = studio.query<{ s: string }>('SELECT summary AS s FROM runs WHERE id = 2')[0]!;
  const hr = (JSON.parse(recall.s) as { metrics: { hierarchicalRecall: number } }).metrics.hierarchicalRecall;
  await expect(rows.first()).toContainText(`${(100 * hr).toFixed(1)}%`);

  // Overlay: both runs' curves on one chart each.
  await page.getByLabel('Compare run 1').check();
  await page.getByLabel('Compare run 2').check();
  const steps = studio.query<{ n: number }>('SELECT count(DISTINCT step) AS n FROM run_batches')[0]!.n;
  await expect(page.getByText('run #1 loss')).toBeVisible();
  await expect(page.getByText('run #2 loss')).toBeVisible();
  await expect(page.locator('.charts [data-points]').first()).toHaveAttribute('data-points', String(steps));
  await page.screenshot({ path: join(SHOTS, 'runs.png'), fullPage: true });

  // Export run 1 into a fresh folder through the button.
  const out = join(mkdtempSync(join(tmpdir(), 'gs-export-')), 'run-1');
  try {
    await rows.nth(1).getByRole('button', { name: 'Export' }).click();
    await page.getByLabel('Export folder').fill(out);
    await page.locator('tr.export').getByRole('button', { name: 'Export' }).click();
    await expect(page.getByTestId('notification').filter({ hasText: 'Run #1 exported' })).toBeVisible({
      timeout: 60_000,
    });
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['model.onnx', 'labels.json', 'model-card.json', 'tfjs']));
    expect(readdirSync(join(out, 'tfjs'))).toContain('model.json');
  } finally {
    rmSync(resolve(out, '..'), { recursive: true, force: true });
  }

  // Delete run 2: its rows, batches and checkpoint folder go.
  const checkpoint = studio.query<{ c: string }>('SELECT checkpoint AS c FROM runs WHERE id = 2')[0]!.c;
  expect(existsSync(checkpoint)).toBe(true);
  page.once('dialog', (d) => void d.accept());
  await rows.first().getByRole('button', { name: 'Delete' }).click();
  await expect(rows).toHaveCount(1);
  expect(studio.query('SELECT id FROM runs WHERE id = 2')).toEqual([]);
  expect(studio.query('SELECT step FROM run_batches WHERE run_id = 2')).toEqual([]);
  expect(existsSync(checkpoint)).toBe(false);
});

/**
 * Train view over real browser mode: a tiny run started from the UI streams
 * its loss curve, shows the confusion matrices, and a matrix cell opens
 * Browse on exactly its images; a trained run's suggestion is accepted with
 * one key in the Label view. Screenshots for the README come from here.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, TINY, UNLABELED, callApi, type TrainStudio } from './train-fixtures.js';

const SHOTS = resolve(import.meta.dirname, '..', '..', 'docs', 'screenshots');
test.setTimeout(150_000);

async function setTinySettings(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByLabel('Network').selectOption(TINY.arch);
  await page.getByLabel('Input size (px)').fill(String(TINY.size));
  await page.getByLabel('Epochs').fill(String(TINY.epochs));
  await page.getByLabel('Batch').fill(String(TINY.batch));
  await page.getByLabel('Engine').selectOption(TINY.engine);
  await page.getByText('Advanced').click();
  await page.getByLabel('Width of the first stage').fill(String(TINY.baseWidth));
}

test('a tiny run from the Train view: live loss curve, confusion matrix, a cell opens Browse on its images', async ({
  page,
  studio,
}) => {
  await page.goto(studio.openUrl.replace('#/label', '#/train'));
  await expect(page.getByText('No run yet')).toBeVisible();
  await setTinySettings(page);
  await page.getByTestId('train').click();

  // The curve gets points while the run is going, from the events.
  const loss = page.getByTestId('loss-chart');
  await expect.poll(async () => Number(await loss.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(0);
  const status = page.getByTestId('run-status');
  await expect(status).toContainText('Engine: WebAssembly on the processor');
  await expect(status).toContainText('Run #1 · done', { timeout: 90_000 });
  await expect(page.getByTestId('notification')).toContainText('Run #1 finished training');

  // Every batch of both epochs is on the chart (from the stored run after the last event).
  const steps = studio.query<{ n: number }>('SELECT count(*) AS n FROM run_batches WHERE run_id = 1')[0]!.n;
  await expect(loss).toHaveAttribute('data-points', String(steps));
  await expect(page.getByTestId('epoch-chart')).toHaveAttribute('data-points', String(TINY.epochs));
  // The curves come from the stored run: a reload shows the same points.
  await page.reload();
  await expect(loss).toHaveAttribute('data-points', String(steps));
  await expect(page.getByTestId('epoch-chart')).toHaveAttribute('data-points', String(TINY.epochs));

  // The final matrix comes from stored predictions against the current labels.
  const canvas = page.getByTestId('confusion-canvas');
  await expect(canvas).toBeVisible();
  await expect(page.getByText(/validation images, the final model/)).toBeVisible({ timeout: 30_000 });
  mkdirSync(SHOTS, { recursive: true });
  // The reload closed the settings panel: the screenshot shows the run.
  await expect(page.getByRole('button', { name: 'Settings' })).toBeVisible();
  await page.setViewportSize({ width: 1360, height: 1280 });
  await page.screenshot({ path: join(SHOTS, 'train.png') });

  // Pick the vowel matrix's largest off-diagonal cell (a real confusion), then click it on the canvas.
  await page.getByRole('tab', { name: 'Vowel diacritic' }).click();
  const { confusion } = await callApi<{ confusion: Record<string, number[][]> }>(page, 'runs.confusion', { runId: 1 });
  const m = confusion.vowel!;
  let best = { t: 0, p: 0, n: 0 };
  m.forEach((row, t) => row.forEach((n, p) => p !== t && n > best.n && (best = { t, p, n })));
  expect(best.n).toBeGreaterThan(0);
  const cell = Number(await canvas.getAttribute('data-cell'));
  const gutter = Number(await canvas.getAttribute('data-gutter'));
  const at = { x: gutter + (best.p + 0.5) * cell, y: gutter + (best.t + 0.5) * cell };
  await canvas.hover({ position: at });
  const tip = page.getByTestId('confusion-tip');
  await expect(tip).toContainText(`true ${best.t} → predicted ${best.p}`);
  await expect(tip).toContainText(`${best.n} image`);
  await canvas.click({ position: at });

  await expect(page).toHaveURL(new RegExp(`#/browse\\?.*vowel=${best.t}.*run=1.*pred=vowel%3A${best.p}`));
  await expect(page.getByTestId('browse-count')).toHaveText(`${best.n} images`);
  await expect(page.getByTestId('pred-filter')).toBeVisible();
  // Exactly those images: labeled vowel t now, predicted p by run 1, in its validation split.
  const expected = studio.query<{ image_id: string }>(
    `SELECT i.image_id FROM predictions p JOIN images i ON i.id = p.image_id JOIN labels l ON l.image_id = p.image_id
     JOIN run_splits rs ON rs.run_id = p.run_id AND rs.image_id = p.image_id AND rs.split = 'val'
     WHERE p.run_id = 1 AND p.vowel = ? AND l.vowel = ? AND l.state = 'labeled' ORDER BY i.id`,
    best.p,
    best.t,
  );
  expect(expected).toHaveLength(best.n);
  const shown = await page.locator('[data-testid=browse-count]').textContent();
  expect(shown).toBe(`${expected.length} images`);
});

async function trainByApi(page: Page, studio: TrainStudio, epochs = 1): Promise<number> {
  await page.goto(studio.openUrl.replace('#/label', '#/train'));
  const { runId } = await callApi<{ runId: number }>(page, 'training.start', { ...TINY, epochs });
  await expect(page.getByTestId('run-status')).toContainText(`Run #${runId} · done`, { timeout: 90_000 });
  return runId;
}

test('the confusion matrix zooms to readable glyphs around a confusion (screenshot)', async ({ page, studio }) => {
  const runId = await trainByApi(page, studio, 2);
  const canvas = page.getByTestId('confusion-canvas');
  await expect(page.getByText(/validation images, the final model/)).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('notification').getByRole('button', { name: 'Dismiss' }).click();
  const fit = Number(await canvas.getAttribute('data-cell'));
  const gutter = Number(await canvas.getAttribute('data-gutter'));
  expect(fit * 168).toBeLessThan(800);
  // The most populated off-diagonal root cell: zoom in with the wheel right over it.
  const { confusion } = await callApi<{ confusion: Record<string, number[][]> }>(page, 'runs.confusion', { runId });
  let best = { t: 0, p: 0, n: 0 };
  confusion.root!.forEach((row, t) => row.forEach((n, p) => p !== t && n > best.n && (best = { t, p, n })));
  const over = { x: gutter + (best.p + 0.5) * fit, y: gutter + (best.t + 0.5) * fit };
  await canvas.hover({ position: over });
  for (let i = 0; i < 8; i++) await page.mouse.wheel(0, -200);
  await expect.poll(async () => Number(await canvas.getAttribute('data-cell'))).toBeGreaterThan(16);
  // Zooming keeps the cell under the pointer: hovering the same spot names the same cell.
  await canvas.hover({ position: { x: over.x + 1, y: over.y } });
  await expect(page.getByTestId('confusion-tip')).toContainText(`true ${best.t} → predicted ${best.p}`);
  await page.locator('.confusion').screenshot({ path: join(SHOTS, 'confusion.png') });

  // Suspect labels: validation images only, each opens in the Label view for review.
  await page.getByTestId('find-suspects').click();
  const val = studio.query<{ n: number }>(
    "SELECT count(*) AS n FROM run_splits rs JOIN labels l ON l.image_id = rs.image_id WHERE rs.run_id = ? AND rs.split = 'val' AND l.state = 'labeled'",
    runId,
  )[0]!.n;
  await expect(page.getByText(new RegExp(`of ${val} validation images disagree`))).toBeVisible({ timeout: 30_000 });
  const first = page.getByTestId('suspect').first();
  const alt = (await first.locator('img').getAttribute('alt'))!;
  const suspectId = Number(/(\d+)$/.exec(alt)![1]);
  expect(
    studio.query("SELECT 1 FROM run_splits WHERE run_id = ? AND image_id = ? AND split = 'val'", runId, suspectId),
  ).toHaveLength(1);
  await first.click();
  await expect(page).toHaveURL(new RegExp(`#/label\\?state=all&at=${suspectId}`));
  await expect(page.getByRole('img', { name: /Handwritten grapheme/ })).toHaveAttribute(
    'alt',
    new RegExp(`\\(id ${suspectId}\\)`),
  );
});

test('Label view: a trained run suggests, Alt+A accepts all three and saves', async ({ page, studio }) => {
  const runId = await trainByApi(page, studio);
  await page.goto(studio.openUrl);
  const suggestions = page.getByTestId('suggestions');
  await expect(suggestions).toContainText(`Run #${runId}`);
  const accept = suggestions.getByRole('button', { name: /Accept/ });
  await expect(accept).toBeVisible({ timeout: 30_000 });
  await page.screenshot({ path: join(SHOTS, 'label-suggestions.png') });
  const alt = await page.getByRole('img', { name: /Handwritten grapheme/ }).getAttribute('alt');
  const imageName = /image (\S+) \(id/.exec(alt ?? '')![1]!;
  const id = studio.query<{ id: number }>('SELECT id FROM images WHERE image_id = ?', imageName)[0]!.id;
  type Top = { classId: number; prob: number }[];
  const top = await callApi<{ predictions: { root: Top; vowel: Top; consonant: Top }[] }>(page, 'runs.suggest', {
    runId,
    imageIds: [id],
    k: 1,
  });
  const want = top.predictions[0]!;

  // A tiny model's root is a guess (under 50%): the first Alt+A only warns, with the figure; the second accepts.
  expect(want.root[0]!.prob).toBeLessThan(0.5);
  await page.keyboard.press('Alt+A');
  await expect(suggestions.getByRole('alert')).toContainText(`grapheme root ${Math.round(100 * want.root[0]!.prob)}%`);
  await page.screenshot({ path: test.info().outputPath('alt-a-guard.png') });
  expect(studio.query<{ state: string }>('SELECT state FROM labels WHERE image_id = ?', id)[0]!.state).toBe(
    'unlabeled',
  );
  await page.keyboard.press('Alt+A');
  await expect
    .poll(() => studio.query<{ state: string }>('SELECT state FROM labels WHERE image_id = ?', id)[0]!.state)
    .toBe('labeled');
  const saved = studio.query<{ root: number; vowel: number; consonant: number; annotator: string }>(
    'SELECT root, vowel, consonant, annotator FROM labels WHERE image_id = ?',
    id,
  )[0]!;
  expect(saved).toEqual({
    root: want.root[0]!.classId,
    vowel: want.vowel[0]!.classId,
    consonant: want.consonant[0]!.classId,
    annotator: 'tariq',
  });
  // One key also moved on to the next unlabeled image.
  const next = await page.getByRole('img', { name: /Handwritten grapheme/ }).getAttribute('alt');
  expect(next).not.toBe(alt);
  const unlabeled = studio.query<{ n: number }>("SELECT count(*) AS n FROM labels WHERE state = 'unlabeled'")[0]!.n;
  expect(unlabeled).toBe(UNLABELED - 1);

  // Active learning: the queue reorders least confident first, by the stored predictions.
  await page.getByRole('button', { name: 'Least confident first' }).click();
  await expect(page).toHaveURL(/order=uncertainty/);
  await expect(suggestions).toContainText('Queue: least confident first');
  const [least] = studio.query<{ image_id: string }>(
    `SELECT i.image_id FROM predictions p JOIN images i ON i.id = p.image_id JOIN labels l ON l.image_id = p.image_id
     WHERE p.run_id = ? AND l.state = 'unlabeled' ORDER BY p.confidence, p.image_id LIMIT 1`,
    runId,
  );
  await expect(page.getByRole('img', { name: /Handwritten grapheme/ })).toHaveAttribute(
    'alt',
    new RegExp(`image ${least!.image_id} \\(id`),
  );
});

test('Stop at a checkpoint, Resume to the end; a bad setting is refused with its reason', async ({ page, studio }) => {
  await page.goto(studio.openUrl.replace('#/label', '#/train'));
  await setTinySettings(page);
  await page.getByLabel('Input size (px)').fill('20');
  await page.getByTestId('train').click();
  await expect(page.getByRole('alert')).toContainText('size must be an integer in 32..512');
  expect(studio.query('SELECT id FROM runs')).toEqual([]);

  await page.getByLabel('Input size (px)').fill(String(TINY.size));
  await page.getByLabel('Epochs').fill('8');
  await page.getByTestId('train').click();
  const status = page.getByTestId('run-status');
  await expect(status).toContainText('Epoch 2/8', { timeout: 60_000 });
  await page.getByTestId('stop').click();
  await expect(status).toContainText('Run #1 · stopped (can resume)', { timeout: 60_000 });
  const stoppedAt = studio.query<{ n: number }>('SELECT count(*) AS n FROM run_batches WHERE run_id = 1')[0]!.n;
  expect(stoppedAt).toBeGreaterThan(0);
  await expect(page.getByTestId('notification')).toContainText('Run #1 stopped at a checkpoint');

  await page.getByRole('button', { name: 'Resume run #1' }).click();
  await expect(status).toContainText('Run #1 · done', { timeout: 120_000 });
  // One run, every step of the 8 epochs once, and the curve shows them all.
  const steps = studio.query<{ n: number; max: number }>(
    'SELECT count(*) AS n, max(step) AS max FROM run_batches WHERE run_id = 1',
  )[0]!;
  expect(steps.n).toBe(steps.max);
  expect(steps.n).toBeGreaterThan(stoppedAt);
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(steps.n));
  await expect(page.getByTestId('epoch-chart')).toHaveAttribute('data-points', '8');
});

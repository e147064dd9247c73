/**
 * The model in the loop from the first image: the starter project, as the app creates it on first
 * run (324 labels, one scan unlabeled), has never been trained, yet the Label view suggests labels
 * from the pretrained model shipped with the app, says so, orders the queue least confident first
 * with it, and an accepted suggestion is saved. The suspect ranking of that model says how far it
 * can be trusted. Real server, real trainer processes, real browser.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { expect, test } from '@playwright/test';
import { currentImageId, startServer, stopServer } from './fixtures.js';
import { callApi } from './train-fixtures.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SHIPPED = join(ROOT, 'resources', 'pretrained', 'resnet18-64', 'model.json');
const SCREENSHOT = join(ROOT, 'docs', 'screenshots', 'label-pretrained.png');

test.skip(!existsSync(SHIPPED), 'no pretrained weights shipped in resources/pretrained');

test('the starter project opens with pretrained suggestions; least confident first and accept work', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const dir = mkdtempSync(join(tmpdir(), 'gs-e2e-pre-'));
  // The starter project exactly as the app makes it on first run.
  const made = execFileSync(
    process.execPath,
    [
      '-e',
      `import('${ROOT}/dist/main/service/starter.js').then(async (m) => console.log(await m.ensureStarterProject(process.argv[1])))`,
      dir,
    ],
    { encoding: 'utf8' },
  ).trim();
  const server = await startServer(made, 0, randomBytes(16).toString('hex'));
  const query = <T>(sql: string, ...p: unknown[]) => {
    const db = new Database(made, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all(...p) as T[];
    } finally {
      db.close();
    }
  };
  try {
    await page.goto(server.url);
    // A first run: the app asks who is labeling.
    await page.getByLabel('Annotator name').fill('asha');
    await page.getByRole('button', { name: 'Start labeling' }).click();
    await expect(page.getByTestId('queue-position')).toContainText('of 81');
    const box = page.getByTestId('suggestions');
    await expect(box.getByTestId('suggestion-source')).toHaveText('Pretrained model', { timeout: 120_000 });
    await expect(box.getByTestId('suggestion-source')).toHaveAttribute('title', /rendered graphemes only/);
    await expect(box.getByRole('group', { name: 'Suggested Grapheme root' }).getByRole('button')).toHaveCount(3, {
      timeout: 120_000,
    });
    // No training run was made: the Runs list stays empty and the model is run 0.
    expect(await callApi<unknown[]>(page, 'runs.list', {})).toEqual([]);
    expect(query<{ id: number; status: string }>('SELECT id, status FROM runs')).toEqual([{ id: 0, status: 'done' }]);

    await box.getByRole('button', { name: 'Least confident first' }).click();
    await expect(page).toHaveURL(/state=unlabeled.*run=0.*order=uncertainty/, { timeout: 120_000 });
    await expect(box.getByText('Queue: least confident first')).toBeVisible();
    await expect(page.getByTestId('queue-position')).toContainText('of 81');
    // The queue's first image is the unlabeled image the pretrained model is least sure of.
    const stored = query<{ image_id: number; confidence: number }>(
      `SELECT p.image_id, p.confidence FROM predictions p JOIN labels l ON l.image_id = p.image_id
       WHERE p.run_id = 0 AND l.state = 'unlabeled' ORDER BY p.confidence, p.image_id`,
    );
    expect(stored).toHaveLength(81);
    const [first] = query<{ image_id: string }>('SELECT image_id FROM images WHERE id = ?', stored[0]!.image_id);
    await expect.poll(() => currentImageId(page), { timeout: 30_000 }).toBe(first!.image_id);
    await expect(box.getByLabel('Suggested grapheme', { exact: true })).not.toBeEmpty({ timeout: 120_000 });
    await page.screenshot({ path: SCREENSHOT });

    // Accepting takes the model's top class of each component (a second Alt+A when it is unsure).
    const top = await callApi<{
      predictions: { root: { classId: number }[]; vowel: { classId: number }[]; consonant: { classId: number }[] }[];
    }>(page, 'runs.suggest', { runId: 0, imageIds: [stored[0]!.image_id], k: 1 });
    await page.keyboard.press('Alt+A');
    if (await box.getByRole('alert').isVisible()) await page.keyboard.press('Alt+A');
    await expect
      .poll(
        () => query<{ state: string }>('SELECT state FROM labels WHERE image_id = ?', stored[0]!.image_id)[0]!.state,
      )
      .toBe('labeled');
    const saved = query<{ root: number; vowel: number; consonant: number }>(
      'SELECT root, vowel, consonant FROM labels WHERE image_id = ?',
      stored[0]!.image_id,
    )[0]!;
    const p = top.predictions[0]!;
    expect(saved).toEqual({ root: p.root[0]!.classId, vowel: p.vowel[0]!.classId, consonant: p.consonant[0]!.classId });

    // Suspects judged by the pretrained model say how reliable it is (its zero-shot figure, below 0.5).
    const suspects = await callApi<{
      checked: number;
      reliability: { hierarchicalRecall: number; pretrained: boolean; on: string };
    }>(page, 'runs.suspects', { runId: 0, limit: 10 });
    expect(suspects.checked).toBe(325);
    expect(suspects.reliability.pretrained).toBe(true);
    expect(suspects.reliability.hierarchicalRecall).toBeGreaterThan(0.2);
    expect(suspects.reliability.hierarchicalRecall).toBeLessThan(0.5);
    expect(suspects.reliability.on).toContain('zero-shot');
  } finally {
    await stopServer(server.proc);
    rmSync(dir, { recursive: true, force: true });
  }
});

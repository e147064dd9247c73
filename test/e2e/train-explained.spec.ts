/**
 * Issue 13, finding 4, with a real tiny run: stopped after its first epoch and
 * resumed from the Train view. When it finishes, the view shows the final recall
 * at once (it kept the stop's until a navigation), the engine and why it was
 * chosen, the score in context with what to do next, and a warning that a weak
 * model's suspects are mostly its own mistakes; the loss axis follows the batch
 * curves, not the first epoch's validation loss.
 */
import { test, expect, TINY, callApi } from './train-fixtures.js';

test.setTimeout(240_000);

test('a resumed run ends with its final score, explained, on a loss axis fit to the batches', async ({
  page,
  studio,
}) => {
  await page.goto(studio.openUrl.replace('#/label', '#/train'));
  const { runId } = await callApi<{ runId: number }>(page, 'training.start', { ...TINY, epochs: 3 });
  await expect
    .poll(() => studio.query('SELECT epoch FROM run_epochs WHERE run_id = ?', runId).length, { timeout: 120_000 })
    .toBeGreaterThan(0);
  await callApi(page, 'training.stop', { runId });
  await expect
    .poll(() => studio.query<{ status: string }>('SELECT status FROM runs WHERE id = ?', runId)[0]!.status, {
      timeout: 60_000,
    })
    .toBe('stopped');

  await page.goto(studio.openUrl.replace('#/label', `#/train?run=${runId}`));
  const status = page.getByTestId('run-status');
  await expect(status).toContainText(`Run #${runId} · stopped`);
  await page.getByRole('button', { name: `Resume run #${runId}` }).click();
  await expect(status).toContainText(`Run #${runId} · done`, { timeout: 180_000 });

  const summary = JSON.parse(
    studio.query<{ s: string }>('SELECT summary AS s FROM runs WHERE id = ?', runId)[0]!.s,
  ) as {
    metrics: { hierarchicalRecall: number };
    engineReason: string;
    epochsDone: number;
  };
  expect(summary.epochsDone).toBe(3);
  await expect(status).toContainText(`hierarchical recall ${(100 * summary.metrics.hierarchicalRecall).toFixed(1)}%`);
  const verdict = page.getByTestId('run-verdict');
  await expect(verdict).toContainText(`Computing on WebAssembly on the processor: ${summary.engineReason}`);
  await expect(verdict).toContainText(/about \d+\.\d labeled images per root class \(\d+ of 168 classes have any\)/);
  await expect(verdict).toContainText('Next:');
  // A tiny model on a few hundred images is weak: its suspects come with the warning.
  expect(summary.metrics.hierarchicalRecall).toBeLessThan(0.5);
  await expect(page.getByTestId('weak-model')).toContainText('This model is weak');

  const top = studio.query<{ m: number }>(
    `SELECT max(max(loss, coalesce(root_loss, 0), coalesce(vowel_loss, 0), coalesce(consonant_loss, 0))) AS m
     FROM run_batches WHERE run_id = ?`,
    runId,
  )[0]!.m;
  const yTop = Number(await page.getByTestId('loss-chart').getAttribute('data-y-top'));
  expect(yTop).toBeCloseTo(top * 1.05, 3);
  await page.screenshot({ path: test.info().outputPath('resumed-done.png'), fullPage: true });
});

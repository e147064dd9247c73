/**
 * The Train view's engine note over real browser mode: the server asks a real
 * trainer process which engine `auto` picks. With the native engine hidden
 * (GRAPHEME_HIDE_ENGINES, honoured by the trainer's engine selection) it says
 * WebAssembly runs, how much faster native would be and the command that
 * builds it; where the native engine loads, it names it and gives no hint.
 */
import { execFileSync } from 'node:child_process';
import { test, expect, callApi, TINY } from './train-fixtures.js';
import { MEASURED_IMAGES_PER_SEC, NATIVE_ENGINE_COMMAND } from '../../src-main/contract/training.js';

test.setTimeout(120_000);

test.describe('without the native engine', () => {
  test.use({ hideEngines: 'tensorflow,webgpu' });

  test('says WebAssembly trains here, how much faster native would be, and the command to build it', async ({
    page,
    studio,
  }) => {
    await page.goto(studio.openUrl.replace('#/label', '#/train'));
    const note = page.getByTestId('engine-note');
    await expect(note).toContainText('Engine here: WebAssembly on the processor', { timeout: 60_000 });
    const hint = note.getByRole('note');
    const speedup = Math.round(MEASURED_IMAGES_PER_SEC.tensorflow! / MEASURED_IMAGES_PER_SEC.wasm!);
    await expect(hint).toContainText(`about ${speedup}× faster`);
    await expect(hint.locator('code', { hasText: NATIVE_ENGINE_COMMAND })).toBeVisible();
    // The reason names what was skipped and why.
    await expect(note.locator('[title*="hidden by GRAPHEME_HIDE_ENGINES"]')).toBeVisible();
  });

  test('greys out the engines that cannot run here, with the reason, and will not start a run on one', async ({
    page,
    studio,
  }) => {
    await page.goto(studio.openUrl.replace('#/label', '#/train'));
    await expect(page.getByTestId('engine-note')).toContainText('WebAssembly', { timeout: 60_000 });
    await page.getByRole('button', { name: 'Settings' }).click();
    const select = page.getByTestId('train-engine');
    await expect(select.locator('option[value="tensorflow"]')).toBeDisabled();
    await expect(select.locator('option[value="tensorflow"]')).toHaveText('tensorflow (not available here)');
    await expect(select.locator('option[value="wasm"]')).toBeEnabled();
    const offline = page.getByTestId('engines-offline');
    await expect(offline).toContainText('tensorflow: hidden by GRAPHEME_HIDE_ENGINES');
    await expect(offline).toContainText('webgpu: hidden by GRAPHEME_HIDE_ENGINES');
    await expect(offline).not.toContainText('wasm:');
    await page.screenshot({ path: test.info().outputPath('engines-offline.png') });

    // A choice saved on a machine that had the native engine: said plainly, and Train stays off.
    const runsBefore = (await callApi<unknown[]>(page, 'runs.list', {})).length;
    await page.evaluate(() => {
      const { localStorage: store } = globalThis as unknown as {
        localStorage: { setItem(k: string, v: string): void };
      };
      store.setItem('grapheme-studio.train-settings', JSON.stringify({ engine: 'tensorflow' }));
    });
    await page.reload();
    const blocked = page.getByTestId('engine-blocked');
    await expect(blocked).toContainText('tensorflow, cannot run here (hidden by GRAPHEME_HIDE_ENGINES)', {
      timeout: 60_000,
    });
    await expect(page.getByTestId('train')).toBeDisabled();
    // The call itself refuses it too (a script or the CLI's client), and records no run.
    await expect(callApi(page, 'training.start', { ...TINY, engine: 'tensorflow' })).rejects.toThrow(
      'engine tensorflow is not available here: hidden by GRAPHEME_HIDE_ENGINES',
    );
    expect((await callApi<unknown[]>(page, 'runs.list', {})).length).toBe(runsBefore);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByTestId('train-engine').selectOption('auto');
    await expect(blocked).toHaveCount(0);
    await expect(page.getByTestId('train')).toBeEnabled();
  });
});

/** Whether @tensorflow/tfjs-node loads in a plain Node process here (it is an optional, offline-built install). */
function nativeLoads(): boolean {
  try {
    execFileSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], {
      stdio: 'ignore',
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    });
    return true;
  } catch {
    return false;
  }
}

test('names the native engine where it loads, without a hint', async ({ page, studio }) => {
  test.skip(!nativeLoads(), '@tensorflow/tfjs-node is not built here (npm run provision:native)');
  await page.goto(studio.openUrl.replace('#/label', '#/train'));
  const note = page.getByTestId('engine-note');
  await expect(note).toContainText('Engine here: TensorFlow native', { timeout: 60_000 });
  await expect(note.getByRole('note')).toHaveCount(0);
});

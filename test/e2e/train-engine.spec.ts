/**
 * The Train view's engine note over real browser mode: the server asks a real
 * trainer process which engine `auto` picks. With the native engine hidden
 * (GRAPHEME_HIDE_ENGINES, honoured by the trainer's engine selection) it says
 * WebAssembly runs, how much faster native would be and the command that
 * builds it; where the native engine loads, it names it and gives no hint.
 */
import { execFileSync } from 'node:child_process';
import { test, expect } from './train-fixtures.js';
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

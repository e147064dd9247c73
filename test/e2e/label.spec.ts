/** The Label view, driven by keyboard only, checked against the project file itself. */
import { allSaved, currentImageId, expect, groundTruth, labelByKeyboard, pick, test } from './fixtures.js';

const truth = groundTruth();

test('labels ten images by keyboard only; the database holds exactly those labels', async ({ page, studio }) => {
  await page.goto(studio.openUrl);
  const seen: string[] = [];
  for (let i = 0; i < 10; i++) {
    const imageId = await currentImageId(page);
    expect(seen).not.toContain(imageId);
    seen.push(imageId);
    await expect(page.getByTestId('queue-position')).toContainText(`Image ${i + 1} of 405`);
    await labelByKeyboard(page, truth.get(imageId)!);
    await expect.poll(() => currentImageId(page)).not.toBe(imageId);
  }
  await expect(page.getByTestId('labeled-count')).toContainText('10 / 405 labeled');
  await allSaved(page);

  const labeled = studio.labels().filter((r) => r.state === 'labeled');
  expect(labeled).toHaveLength(10);
  for (const imageId of seen) {
    const row = studio.label(imageId);
    const t = truth.get(imageId)!;
    expect(row).toMatchObject({
      state: 'labeled',
      root: t.root,
      vowel: t.vowel,
      consonant: t.consonant,
      annotator: 'asha',
    });
  }
});

test('skip and unreadable are one key each', async ({ page, studio }) => {
  await page.goto(studio.openUrl);
  const first = await currentImageId(page);
  await page.keyboard.press('Space');
  await expect.poll(() => currentImageId(page)).not.toBe(first);
  const second = await currentImageId(page);
  await page.keyboard.press('Delete');
  await expect.poll(() => currentImageId(page)).not.toBe(second);
  await allSaved(page);
  expect(studio.label(first).state).toBe('skipped');
  expect(studio.label(second).state).toBe('unreadable');
});

test('undo and redo walk back across images through the label history', async ({ page, studio }) => {
  await page.goto(studio.openUrl);
  const a = await currentImageId(page);
  await labelByKeyboard(page, truth.get(a)!);
  await expect.poll(() => currentImageId(page)).not.toBe(a);
  const b = await currentImageId(page);
  await labelByKeyboard(page, truth.get(b)!);
  await expect.poll(() => currentImageId(page)).not.toBe(b);
  await allSaved(page);
  expect(studio.label(b).state).toBe('labeled');

  await page.keyboard.press('Control+z');
  await expect.poll(() => currentImageId(page)).toBe(b);
  await expect.poll(() => studio.label(b).state).toBe('unlabeled');
  expect(studio.label(a).state).toBe('labeled');

  await page.keyboard.press('Control+z');
  await expect.poll(() => currentImageId(page)).toBe(a);
  await expect.poll(() => studio.label(a).state).toBe('unlabeled');

  await page.keyboard.press('Control+Shift+z');
  await expect.poll(() => studio.label(a).state).toBe('labeled');
  expect(studio.label(a)).toMatchObject({ root: truth.get(a)!.root, vowel: truth.get(a)!.vowel });
  // The redone image is on screen with its choice restored.
  await expect.poll(() => currentImageId(page)).toBe(a);
  await expect(page.getByLabel('Composed grapheme')).toHaveText(truth.get(a)!.grapheme);
  expect(studio.label(b).state).toBe('unlabeled');
});

test('after a reload everything is still saved, and undo still works', async ({ page, studio }) => {
  await page.goto(studio.openUrl);
  const done: string[] = [];
  for (let i = 0; i < 3; i++) {
    const id = await currentImageId(page);
    await labelByKeyboard(page, truth.get(id)!);
    await expect.poll(() => currentImageId(page)).not.toBe(id);
    done.push(id);
  }
  await allSaved(page);
  await page.reload();
  await expect(page.getByTestId('labeled-count')).toContainText('3 / 405 labeled');
  // The unlabeled queue continues after what was labeled.
  expect(done).not.toContain(await currentImageId(page));

  await page.goto(`${studio.origin}/#/browse?state=labeled`);
  await expect(page.getByTestId('browse-count')).toHaveText('3 images');

  await page.goto(`${studio.origin}/#/label`);
  await expect(page.getByRole('combobox', { name: 'Grapheme root' })).toBeFocused();
  await page.keyboard.press('Control+z');
  await expect.poll(() => currentImageId(page)).toBe(done[2]);
  await expect.poll(() => studio.label(done[2]!).state).toBe('unlabeled');
  expect(studio.label(done[1]!).state).toBe('labeled');
});

test('a nonexistent class shows no match and saves nothing', async ({ page, studio }) => {
  await page.goto(studio.openUrl);
  const id = await currentImageId(page);
  await expect(page.getByRole('combobox', { name: 'Grapheme root' })).toBeFocused();
  await page.keyboard.type('999');
  await expect(page.getByRole('listbox', { name: 'Grapheme root' })).toContainText('No match');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Enter');
  await expect(page.getByText('Choose the grapheme root first.')).toBeVisible();
  expect(await currentImageId(page)).toBe(id);
  expect(studio.labels().every((r) => r.state === 'unlabeled')).toBe(true);
  expect(studio.gestures()).toBe(0);
});

test('romanized search finds classes by sound', async ({ page, studio }) => {
  await page.goto(studio.openUrl);
  await currentImageId(page);
  await page.keyboard.type('ksha');
  await expect(page.locator('[role=option][aria-selected=true]')).toContainText('ক্ষ');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('combobox', { name: 'Vowel diacritic' })).toBeFocused();
  await page.keyboard.type('i-kar');
  await expect(page.locator('[role=option][aria-selected=true]')).toContainText('i-kar');
  await page.keyboard.press('Enter');
  await page.keyboard.type('ra-phala');
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Composed grapheme')).toHaveText('ক্ষ্রি');
  await pick(page, 'Consonant diacritic', 2);
  // Reph goes before the root.
  await expect(page.getByLabel('Composed grapheme')).toHaveText('র্ক্ষি');
});

test('the ? overlay lists every shortcut and closes with Escape', async ({ page, studio }) => {
  await page.goto(studio.openUrl);
  await currentImageId(page);
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  for (const key of ['Enter', 'Space', 'Delete', 'Ctrl+Z', 'Ctrl+Shift+Z', '?']) {
    await expect(dialog.locator('kbd', { hasText: key }).first()).toBeVisible();
  }
  // Keys typed while it is open do not reach the pickers.
  await expect(page.getByRole('combobox', { name: 'Grapheme root' })).toHaveValue('');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('combobox', { name: 'Grapheme root' })).toBeFocused();
});

test('a failed save is shown, keeps the choice, and is retried until the server is back', async ({ page, studio }) => {
  await page.goto(studio.openUrl);
  const id = await currentImageId(page);
  const t = truth.get(id)!;
  await pick(page, 'Grapheme root', t.root);
  await pick(page, 'Vowel diacritic', t.vowel);
  await pick(page, 'Consonant diacritic', t.consonant);

  await studio.stop();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('alert')).toContainText('Not saved yet');
  // Still the same image, with the choice on screen.
  expect(await currentImageId(page)).toBe(id);
  await expect(page.getByLabel('Composed grapheme')).toHaveText(t.grapheme);
  await expect(page.locator('#picker-root-chosen')).toContainText(String(t.root));

  await studio.start();
  await expect.poll(() => currentImageId(page), { timeout: 20_000 }).not.toBe(id);
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(studio.label(id)).toMatchObject({ state: 'labeled', root: t.root, vowel: t.vowel, consonant: t.consonant });
});

test.describe('first run', () => {
  test.use({ annotatorName: '' });

  test('asks the annotator name once and stores it with every label', async ({ page, studio }) => {
    await page.goto(studio.openUrl);
    const dialog = page.getByRole('dialog', { name: 'Who is labeling?' });
    await expect(dialog).toBeVisible();
    await page.getByLabel('Annotator name').fill('Rafi');
    await page.keyboard.press('Enter');
    await expect(dialog).toBeHidden();
    const id = await currentImageId(page);
    await labelByKeyboard(page, truth.get(id)!);
    await expect.poll(() => studio.label(id).annotator).toBe('Rafi');
    await page.reload();
    await currentImageId(page);
    await expect(dialog).toBeHidden();
  });
});

test('two annotators in two windows: last write wins and the history keeps both', async ({ browser, studio }) => {
  const windows = [];
  for (const name of ['asha', 'rafi']) {
    const context = await browser.newContext();
    await context.addInitScript((n) => {
      const { localStorage: store } = globalThis as unknown as {
        localStorage: { setItem(k: string, v: string): void };
      };
      store.setItem('grapheme-studio.annotator', n);
    }, name);
    const page = await context.newPage();
    await page.goto(studio.openUrl);
    windows.push(page);
  }
  const [asha, rafi] = windows as [import('@playwright/test').Page, import('@playwright/test').Page];
  const id = await currentImageId(asha);
  expect(await currentImageId(rafi)).toBe(id);
  const t = truth.get(id)!;

  await labelByKeyboard(asha, t);
  await allSaved(asha);
  // Rafi's window shows Asha's label as soon as she saves.
  await expect(rafi.getByText('asha just labeled this image')).toBeVisible();
  await expect(rafi.getByLabel('Composed grapheme')).toHaveText(t.grapheme);

  // Asha labels the next image meanwhile: it leaves Rafi's unlabeled queue before he gets there.
  const next = await currentImageId(asha);
  await labelByKeyboard(asha, truth.get(next)!);
  await allSaved(asha);

  // Rafi corrects the root; the diacritics keep Asha's choice, Enter saves.
  await rafi.getByRole('combobox', { name: 'Grapheme root' }).focus();
  await pick(rafi, 'Grapheme root', 14);
  await expect(rafi.getByRole('combobox', { name: 'Vowel diacritic' })).toBeFocused();
  await rafi.keyboard.press('Enter');
  await expect.poll(() => currentImageId(rafi)).not.toBe(id);
  await allSaved(rafi);
  await expect.poll(() => studio.label(id)).toMatchObject({ root: 14, annotator: 'rafi' });
  expect(await currentImageId(rafi)).not.toBe(next);
  expect(studio.label(await currentImageId(rafi)).state).toBe('unlabeled');

  const history = studio.history(id);
  expect(history.map((h) => [h.annotator, h.after_root])).toEqual([
    ['asha', t.root],
    ['rafi', 14],
  ]);
  for (const w of windows) await w.context().close();
});

test('a recently labeled image opens again from the side panel, with its label', async ({ page, studio }) => {
  await page.goto(studio.openUrl);
  const first = await currentImageId(page);
  await labelByKeyboard(page, truth.get(first)!);
  await expect.poll(() => currentImageId(page)).not.toBe(first);
  const second = await currentImageId(page);
  const recent = page.getByRole('region', { name: 'Recently labeled' });
  await expect(recent.getByRole('button')).toHaveCount(1);
  await recent.getByRole('button', { name: truth.get(first)!.grapheme }).click();
  await expect.poll(() => currentImageId(page)).toBe(first);
  await expect(page.getByLabel('Composed grapheme')).toHaveText(truth.get(first)!.grapheme);
  // Saving it again moves on to where the queue was.
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect.poll(() => currentImageId(page)).toBe(second);
});

test('image tools work from the keyboard without leaving the pickers', async ({ page, studio }) => {
  await page.goto(studio.openUrl);
  await currentImageId(page);
  const root = page.getByRole('combobox', { name: 'Grapheme root' });
  await expect(root).toBeFocused();
  await page.keyboard.press('Alt+i');
  await expect(page.getByRole('button', { name: 'Invert' })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Alt+c');
  await expect(page.getByRole('button', { name: 'Contrast' })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Alt+Equal');
  await expect(page.getByRole('toolbar', { name: 'Image tools' })).toContainText('150%');
  await page.keyboard.press('Alt+Digit0');
  await expect(page.getByRole('toolbar', { name: 'Image tools' })).toContainText('100%');
  await expect(root).toBeFocused();
  await expect(root).toHaveValue('');
});

test('Ctrl+Z right after Enter undoes that very save, even while it is in flight', async ({ page, studio }) => {
  await page.goto(studio.openUrl);
  const id = await currentImageId(page);
  const t = truth.get(id)!;
  await pick(page, 'Grapheme root', t.root);
  await pick(page, 'Vowel diacritic', t.vowel);
  await pick(page, 'Consonant diacritic', t.consonant);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+z');
  await expect.poll(() => currentImageId(page)).toBe(id);
  await allSaved(page);
  await expect.poll(() => studio.label(id).state).toBe('unlabeled');
  expect(studio.history(id).map((h) => h.kind)).toEqual(['edit', 'undo']);
});

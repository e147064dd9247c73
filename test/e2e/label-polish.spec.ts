/**
 * Issue 13, finding 5 (the Label view's rough edges), on a project with the
 * starter labels except the first images: a class in the picker shows a real
 * labeled image of the project; the consonant picker's hint names consonant
 * diacritics; after undo the message is readable (not under the open class
 * list), "Image N of M" steps back, and the undone tile leaves "Recently labeled".
 */
import { test, expect, UNLABELED } from './train-fixtures.js';
import { groundTruth, labelByKeyboard, allSaved, currentImageId } from './fixtures.js';

test('picker examples, consonant hint, undo message, position and recent tiles after undo', async ({
  page,
  studio,
}) => {
  await page.goto(studio.openUrl);
  const root = page.getByRole('combobox', { name: 'Grapheme root', exact: true });
  await expect(root).toBeFocused();
  const consonant = page.getByRole('combobox', { name: 'Consonant diacritic', exact: true });
  await expect(consonant).toHaveAttribute('placeholder', /reph/);
  await expect(consonant).not.toHaveAttribute('placeholder', /i-kar/);

  // The highlighted class shows one image of this project labeled with it.
  await page.keyboard.type('ka');
  const active = page.locator('[role=option][aria-selected=true]');
  await expect(active).toContainText('13');
  const example = active.getByRole('img', { name: 'An image of this project labeled ক' });
  await expect(example).toBeVisible();
  // Runs in the page; the test tsconfig has no DOM library.
  await expect
    .poll(() => example.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
    .toBeGreaterThan(0);
  const exampleId = Number((await example.getAttribute('src'))!.split('/').pop());
  expect(studio.query('SELECT root, state FROM labels WHERE image_id = ?', exampleId)).toEqual([
    { root: 13, state: 'labeled' },
  ]);
  await page.screenshot({ path: test.info().outputPath('picker-example.png') });
  await page.keyboard.press('Escape');

  const truth = groundTruth();
  const position = page.getByTestId('queue-position');
  await expect(position).toHaveText(`Image 1 of ${UNLABELED} in queue`);
  const first = await currentImageId(page);
  await labelByKeyboard(page, truth.get(first)!);
  await allSaved(page);
  await expect(position).toHaveText(`Image 2 of ${UNLABELED} in queue`);
  const recent = page.getByRole('region', { name: 'Recently labeled' });
  await expect(recent.getByRole('button')).toHaveCount(1);

  await page.keyboard.press('Control+z');
  const notice = page.getByText(`Undone: image ${first}.`);
  await expect(notice).toBeVisible();
  expect(await currentImageId(page)).toBe(first);
  await expect(position).toHaveText(`Image 1 of ${UNLABELED} in queue`);
  await expect(recent).toHaveCount(0);
  // The root picker opened its list again (the image is unlabeled): the message stays on top of nothing.
  await expect(page.getByRole('listbox', { name: 'Grapheme root' })).toBeVisible();
  const box = (await notice.boundingBox())!;
  const hit = await page.evaluate(
    ([x, y]) => {
      const { document: doc } = globalThis as unknown as {
        document: { elementFromPoint(x: number, y: number): { textContent: string | null } | null };
      };
      return doc.elementFromPoint(x!, y!)?.textContent ?? '';
    },
    [box.x + box.width / 2, box.y + box.height / 2],
  );
  expect(hit).toContain('Undone');
  await page.screenshot({ path: test.info().outputPath('after-undo.png') });
});

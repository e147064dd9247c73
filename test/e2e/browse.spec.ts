/** The Browse view: filters, multi-select, one-component bulk edits as one undo step, open in Label. */
import { currentImageId, expect, test } from './fixtures.js';

test('filters, shift/ctrl multi-select and a bulk edit that undoes in one step', async ({ page, studio }) => {
  await page.goto(studio.openUrl.replace('#/label', '#/browse'));
  await expect(page.getByTestId('browse-count')).toHaveText('405 images');
  const cells = page.getByRole('listbox', { name: 'Images' }).getByRole('option');
  await expect(cells.first()).toBeVisible();

  // Ctrl+click the first, Shift+click the fifth: five selected. Ctrl+click the seventh: six.
  await cells.nth(0).click({ modifiers: ['Control'] });
  await cells.nth(4).click({ modifiers: ['Shift'] });
  await cells.nth(6).click({ modifiers: ['Control'] });
  await expect(page.locator('.cell[aria-selected=true]')).toHaveCount(6);
  const ids = await page
    .locator('.cell[aria-selected=true]')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
  expect(ids).toEqual([1, 2, 3, 4, 5, 7]);

  // One component for all selected, three times: they end up fully labeled.
  const setAll = async (component: string, value: string) => {
    await page.getByLabel('Component to set').selectOption({ label: component });
    await page.getByLabel('Class to set').selectOption(value);
    await page.getByRole('button', { name: /^Apply to 6/ }).click();
    await expect(page.getByRole('status')).toContainText('on 6 of 6 images');
  };
  await setAll('Vowel diacritic', '1');
  await expect
    .poll(() =>
      studio
        .labels()
        .filter((r) => r.vowel === 1)
        .map((r) => r.image_id),
    )
    .toEqual(ids);
  expect(studio.labels().filter((r) => r.state === 'labeled')).toHaveLength(0);
  await setAll('Grapheme root', '13');
  await setAll('Consonant diacritic', '0');
  await expect
    .poll(() =>
      studio
        .labels()
        .filter((r) => r.state === 'labeled')
        .map((r) => r.image_id),
    )
    .toEqual(ids);
  expect(studio.gestures()).toBe(3);

  // Filter by state and by class.
  await page.getByLabel('Filter by state').selectOption('labeled');
  await expect(page.getByTestId('browse-count')).toHaveText('6 images');
  await page.getByLabel('Filter by vowel diacritic').selectOption('1');
  await expect(page.getByTestId('browse-count')).toHaveText('6 images');
  await page.getByLabel('Filter by vowel diacritic').selectOption('2');
  await expect(page.getByText('No image matches these filters.')).toBeVisible();
  await page.getByLabel('Filter by vowel diacritic').selectOption('');
  await page.getByLabel('Filter by annotator').fill('asha');
  await page.getByLabel('Filter by annotator').press('Enter');
  await expect(page.getByTestId('browse-count')).toHaveText('6 images');
  await page.getByLabel('Filter by annotator').fill('nobody');
  await page.getByLabel('Filter by annotator').press('Enter');
  await expect(page.getByTestId('browse-count')).toHaveText('0 images');
  await page.getByLabel('Filter by annotator').fill('');
  await page.getByLabel('Filter by annotator').press('Enter');
  await expect(page).toHaveURL(/#\/browse\?state=labeled$/);

  // The last bulk edit (consonant) undoes in one step for all six images.
  await page.getByRole('listbox', { name: 'Images' }).focus();
  await page.keyboard.press('Control+z');
  await expect.poll(() => studio.labels().filter((r) => r.state === 'labeled').length).toBe(0);
  expect(studio.labels().filter((r) => r.root === 13 && r.consonant === null)).toHaveLength(6);
  await expect(page.getByText('No image matches these filters.')).toBeVisible();
});

test('clicking a thumbnail opens that image in the Label view', async ({ page, studio }) => {
  await page.goto(studio.openUrl.replace('#/label', '#/browse?state=unlabeled'));
  const cell = page.getByRole('listbox', { name: 'Images' }).getByRole('option').nth(12);
  await expect(cell).toBeVisible();
  const id = Number(await cell.getAttribute('data-id'));
  await cell.click();
  await expect(page).toHaveURL(new RegExp(`#/label\\?state=unlabeled&at=${id}&pos=13`));
  const imageId = await currentImageId(page);
  expect(studio.labels().find((r) => r.image_id === id)).toBeDefined();
  await expect(page.getByRole('img', { name: new RegExp(`\\(id ${id}\\)`) })).toBeVisible();
  await expect(page.getByTestId('queue-position')).toContainText('Image 13 of 405');
  expect(imageId).toMatch(/^scan\d+\/r\dc\d+$/);
});

test('the grid stays small in the DOM however many images there are', async ({ page, studio }) => {
  await page.goto(studio.openUrl.replace('#/label', '#/browse'));
  await expect(page.getByTestId('browse-count')).toHaveText('405 images');
  const rendered = await page.getByRole('listbox', { name: 'Images' }).getByRole('option').count();
  expect(rendered).toBeGreaterThan(20);
  expect(rendered).toBeLessThan(200);
  // Scrolling to the end brings the last image in.
  await page.getByRole('listbox', { name: 'Images' }).focus();
  await page.keyboard.press('End');
  await expect(page.locator('.cell[data-id="405"]')).toBeVisible();
});

test('the grid works from the keyboard: arrows, Space selects, Shift extends, Enter opens', async ({
  page,
  studio,
}) => {
  await page.goto(studio.openUrl.replace('#/label', '#/browse'));
  await expect(page.getByTestId('browse-count')).toHaveText('405 images');
  const grid = page.getByRole('listbox', { name: 'Images' });
  await grid.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Space');
  await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  const selected = page.locator('.cell[aria-selected=true]');
  await expect(selected).toHaveCount(3);
  expect(await selected.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))))).toEqual([3, 4, 5]);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('img', { name: /\(id \d+\)/ })).toBeVisible();
  await expect(page).toHaveURL(/#\/label\?state=all&at=\d+&pos=\d+/);
  expect(studio.gestures()).toBe(0);
});

test('coverage counts labeled examples per class and flags the empty ones', async ({ page, studio }) => {
  await page.goto(studio.openUrl.replace('#/label', '#/browse'));
  const cells = page.getByRole('listbox', { name: 'Images' }).getByRole('option');
  await cells.nth(0).click({ modifiers: ['Control'] });
  await cells.nth(2).click({ modifiers: ['Shift'] });
  for (const [component, value] of [
    ['Grapheme root', '13'],
    ['Vowel diacritic', '0'],
    ['Consonant diacritic', '0'],
  ] as const) {
    await page.getByLabel('Component to set').selectOption({ label: component });
    await page.getByLabel('Class to set').selectOption(value);
    await page.getByRole('button', { name: /^Apply to 3/ }).click();
    await expect(page.getByRole('status')).toContainText('on 3 of 3 images');
  }
  await page.goto(`${studio.origin}/#/coverage`);
  const roots = page.getByRole('region', { name: 'Grapheme root coverage' });
  await expect(roots).toContainText('167 empty');
  await expect(roots).toContainText('1 rare');
  await expect(roots.getByRole('button', { name: /^ক 13/ })).toContainText('3');
  // A bar opens Browse on that class.
  await roots.getByRole('button', { name: /^ক 13/ }).click();
  await expect(page).toHaveURL(/#\/browse\?state=labeled&root=13/);
  await expect(page.getByTestId('browse-count')).toHaveText('3 images');
});

test('"Label these" starts a Label queue on the Browse filter', async ({ page, studio }) => {
  await page.goto(studio.openUrl.replace('#/label', '#/browse?state=unlabeled'));
  await expect(page.getByTestId('browse-count')).toHaveText('405 images');
  await page.getByLabel('Filter by state').selectOption('skipped');
  await expect(page.getByText('No image matches these filters.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Label these' })).toBeDisabled();
  await page.getByLabel('Filter by state').selectOption('unlabeled');
  await page.getByRole('button', { name: 'Label these' }).click();
  await expect(page.getByRole('img', { name: /\(id 1\)/ })).toBeVisible();
  await expect(page.getByTestId('queue-position')).toContainText('Image 1 of 405');
});

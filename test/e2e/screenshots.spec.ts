/**
 * Screenshots of the main views for docs/screenshots (the README shows them).
 * Each also asserts what the picture must show, so a broken view fails here.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { currentImageId, expect, groundTruth, labelByKeyboard, pick, test } from './fixtures.js';

const OUT = resolve(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const truth = groundTruth();

test('Label, Browse and Coverage views, light and dark', async ({ page, studio }) => {
  mkdirSync(OUT, { recursive: true });
  await page.goto(studio.openUrl);
  for (let i = 0; i < 6; i++) {
    const id = await currentImageId(page);
    await labelByKeyboard(page, truth.get(id)!);
    await expect.poll(() => currentImageId(page)).not.toBe(id);
  }
  const id = await currentImageId(page);
  const t = truth.get(id)!;
  await pick(page, 'Grapheme root', t.root);
  await pick(page, 'Vowel diacritic', t.vowel);
  await pick(page, 'Consonant diacritic', t.consonant);
  await expect(page.getByLabel('Composed grapheme')).toHaveText(t.grapheme);
  // The shipped font (served from /fonts, not a system font) is loaded and used for Bengali text.
  const loaded = await page.evaluate(() => {
    const { document: doc } = globalThis as unknown as {
      document: { fonts: Iterable<{ family: string; status: string; weight: string }> };
    };
    return [...doc.fonts].filter((f) => f.family.replace(/"/g, '') === 'Noto Sans Bengali' && f.status === 'loaded')
      .length;
  });
  expect(loaded).toBeGreaterThanOrEqual(1);
  await page.screenshot({ path: join(OUT, 'label.png') });

  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(OUT, 'label-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });

  await page.goto(`${studio.origin}/#/browse`);
  await expect(page.getByTestId('browse-count')).toHaveText('405 images');
  const cells = page.getByRole('listbox', { name: 'Images' }).getByRole('option');
  await cells.nth(7).click({ modifiers: ['Control'] });
  await cells.nth(10).click({ modifiers: ['Shift'] });
  await expect(page.getByText('4 selected')).toBeVisible();
  // Thumbnails come as contact sheets (images.sheet); wait until every visible cell shows one.
  await expect(page.locator('.cell .thumb').first()).toHaveCSS('background-image', /^url\("blob:/);
  await expect(page.locator('.cell .thumb:not([style*="blob:"])')).toHaveCount(0);
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(OUT, 'browse.png') });

  await page.goto(`${studio.origin}/#/coverage`);
  await expect(page.getByRole('region', { name: 'Grapheme root coverage' })).toContainText('168 classes');
  await page.screenshot({ path: join(OUT, 'coverage.png') });
});

/** Dropping files on the window: browser mode cannot see file paths, so it says how to import instead. */
import { expect } from '@playwright/test';
import { test } from './fixtures.js';

test('dropping files in browser mode explains how to import them', async ({ page, studio }) => {
  await page.goto(studio.openUrl);
  await expect(page.getByRole('combobox', { name: 'Grapheme root' })).toBeVisible();
  // Runs in the page (a browser), where DataTransfer and File exist; the test tsconfig has no DOM library.
  const transfer = await page.evaluateHandle(() => {
    const g = globalThis as unknown as {
      DataTransfer: new () => { items: { add(f: unknown): void } };
      File: new (parts: string[], name: string, opts: { type: string }) => unknown;
    };
    const dt = new g.DataTransfer();
    dt.items.add(new g.File(['x'], 'train.csv', { type: 'text/csv' }));
    return dt;
  });
  await page.dispatchEvent('body', 'dragover', { dataTransfer: transfer });
  await expect(page.getByText('Drop folders, .parquet or .csv files to import')).toBeVisible();
  await page.dispatchEvent('body', 'drop', { dataTransfer: transfer });
  await expect(page.getByText(/In browser mode, use: grapheme-studio import/)).toBeVisible();
  await expect(page.getByText('Drop folders, .parquet or .csv files to import')).toBeHidden();
});

/** Dropping files on the window: browser mode uploads them and imports them as the CLI would. */
import { expect } from '@playwright/test';
import { test } from './fixtures.js';

test('dropping files in browser mode uploads and imports them, and shows what was rejected', async ({
  page,
  studio,
}) => {
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
  // The file is a labels CSV without the competition's columns: the import says so, naming it.
  const status = page.getByRole('dialog', { name: 'Import and export' }).getByTestId('import-status');
  await expect(status).toContainText('rejected 1');
  await expect(status.getByRole('table', { name: 'Rejected' })).toContainText('train.csv');
  await expect(status).toContainText('missing column(s)');
  await expect(status).not.toContainText('.uploads');
  await page.screenshot({ path: test.info().outputPath('after-drop.png') });
  await expect(page.getByText('Drop folders, .parquet or .csv files to import')).toBeHidden();
});

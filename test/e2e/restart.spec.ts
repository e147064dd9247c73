/**
 * Issue 13, finding 1: restarting browser mode must not lock the user out. The
 * default port is stable (with a fallback when taken), the token is kept across
 * restarts so a bookmark works, a fresh token in a new URL wins over the cookie
 * of an older launch, and the annotator's name stays with the project.
 */
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { test, expect, allSaved, starterProject, startServer, stopServer } from './fixtures.js';

const DEFAULT_PORT = 4790;

test.use({ annotatorName: '' });

test('a restart keeps the port, the bookmark, the name; a fresh token in the URL wins', async ({ page }) => {
  const { dir, db } = starterProject();
  const home = mkdtempSync(join(tmpdir(), 'gs-home-'));
  const env = { GRAPHEME_STUDIO_HOME: home };
  const running: ChildProcess[] = [];
  const launch = async () => {
    const s = await startServer(db, null, null, env);
    running.push(s.proc);
    return s;
  };
  try {
    const first = await launch();
    const firstUrl = new URL(first.url);
    const port = Number(firstUrl.port);
    // Other programs (or other test runs) may hold the first ports: the app takes the next free one.
    expect(port).toBeGreaterThanOrEqual(DEFAULT_PORT);
    expect(port).toBeLessThan(DEFAULT_PORT + 10);

    await page.goto(first.url);
    const dialog = page.getByRole('dialog', { name: 'Who is labeling?' });
    await page.getByLabel('Annotator name').fill('rahim');
    await page.keyboard.press('Enter');
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('button', { name: 'rahim' })).toBeVisible();
    await expect(page.getByTestId('labeled-count')).toContainText('/ 405 labeled');
    await expect(page.getByRole('combobox', { name: 'Grapheme root', exact: true })).toBeFocused();
    await page.keyboard.press('Space');
    await allSaved(page);

    // Restart: same port, same token; the bookmark (no token in it) still works.
    await stopServer(first.proc);
    const second = await launch();
    expect(Number(new URL(second.url).port)).toBe(port);
    expect(second.url).toBe(first.url);
    await page.goto(`http://127.0.0.1:${port}/#/label`);
    await expect(page.getByTestId('labeled-count')).toContainText('/ 405 labeled');
    await expect(page.getByRole('button', { name: 'rahim' })).toBeVisible();

    // A new token (its file removed): the new URL wins over the cookie the browser kept.
    await stopServer(second.proc);
    unlinkSync(join(home, 'browser-token'));
    const third = await launch();
    expect(third.url).not.toBe(first.url);
    await page.goto(third.url);
    await expect(page.getByTestId('labeled-count')).toContainText('/ 405 labeled');
    await expect(page.getByText(/Missing or wrong token/)).toHaveCount(0);
    await page.screenshot({ path: test.info().outputPath('after-new-token.png') });

    // Port taken (the third launch holds it): a second server falls back to the next one and says so.
    const other = await launch();
    const otherPort = Number(new URL(other.url).port);
    expect(otherPort).not.toBe(port);
    expect(otherPort).toBeGreaterThan(DEFAULT_PORT - 1);
    expect(other.stderr()).toContain(`Port ${DEFAULT_PORT} is taken; using ${otherPort}`);
    // Another port is another origin (no localStorage): the project offers its latest annotator's name.
    await page.goto(other.url);
    await expect(page.getByLabel('Annotator name')).toHaveValue('rahim');
  } finally {
    for (const p of running) await stopServer(p);
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
});

test('a new launch on the same port with a new token: its URL wins over the old cookie', async ({ page }) => {
  const { dir, db } = starterProject();
  let server = await startServer(db, 0, 'a'.repeat(32));
  const port = Number(new URL(server.url).port);
  try {
    await page.goto(server.url);
    await page.getByLabel('Annotator name').fill('rahim');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('labeled-count')).toContainText('/ 405 labeled');
    await stopServer(server.proc);
    server = await startServer(db, port, 'b'.repeat(32));
    await page.goto(server.url);
    await expect(page.getByTestId('labeled-count')).toContainText('/ 405 labeled');
    await expect(page.getByText(/Missing or wrong token/)).toHaveCount(0);
  } finally {
    await stopServer(server.proc);
    rmSync(dir, { recursive: true, force: true });
  }
});

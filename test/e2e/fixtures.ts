/**
 * E2E fixture: a real project file made by the real CLI from the starter
 * handwriting set, served by the real browser-mode server. Each test gets its
 * own project; the server can be stopped and started again on the same port
 * (same token) to test what the UI does while it is gone.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'grapheme-studio.js');
export const STARTER = join(ROOT, 'resources', 'starter', 'bengaliai-forms');

export interface LabelRow {
  image_id: number;
  state: string;
  root: number | null;
  vowel: number | null;
  consonant: number | null;
  annotator: string | null;
}

export interface Studio {
  db: string;
  /** Opens the app: the first visit carries the token, the server then sets its cookie. */
  openUrl: string;
  origin: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** The labels table, read straight from the project file. */
  labels(): LabelRow[];
  label(imageId: string): LabelRow;
  gestures(): number;
  /** label_history rows of one image (by its image id), oldest first. */
  history(imageId: string): { annotator: string; kind: string; after_root: number | null }[];
}

export interface GroundTruth {
  imageId: string;
  grapheme: string;
  root: number;
  vowel: number;
  consonant: number;
}

/** The starter set's own labels.csv (path,...,grapheme,grapheme_root,vowel_diacritic,consonant_diacritic,...). */
export function groundTruth(): Map<string, GroundTruth> {
  const lines = readFileSync(join(STARTER, 'labels.csv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const col = (name: string) => header.indexOf(name);
  const out = new Map<string, GroundTruth>();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    const imageId = f[col('path')]!.replace(/\.(png|jpe?g)$/i, '');
    out.set(imageId, {
      imageId,
      grapheme: f[col('grapheme')]!,
      root: Number(f[col('grapheme_root')]),
      vowel: Number(f[col('vowel_diacritic')]),
      consonant: Number(f[col('consonant_diacritic')]),
    });
  }
  return out;
}

/** Makes a project file from the starter set with the real CLI; returns its path in a fresh folder. */
export function starterProject(): { dir: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gs-e2e-'));
  const db = join(dir, 'project.db');
  try {
    execFileSync(process.execPath, [CLI, 'import', '--db', db, '--folder', STARTER, '--json'], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`grapheme-studio import failed: ${err.stderr?.toString() || err.message}`);
  }
  return { dir, db };
}

/**
 * Starts `grapheme-studio serve` on a project and resolves with the URL it prints.
 * A null port or token leaves the choice to the app (its default port, its kept token).
 */
export function startServer(
  db: string,
  port: number | null,
  token: string | null,
  env: Record<string, string> = {},
): Promise<{ proc: ChildProcess; url: string; stderr: () => string }> {
  return new Promise((ok, fail) => {
    const args = [CLI, 'serve', '--db', db, ...(port === null ? [] : ['--port', String(port)])];
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (token === null) delete childEnv.GRAPHEME_STUDIO_TOKEN;
    else childEnv.GRAPHEME_STUDIO_TOKEN = token;
    const proc = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`server did not start: ${out} ${err}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Open (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ proc, url: m[1]!, stderr: () => err });
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code}: ${err}`));
    });
  });
}

export function stopServer(proc: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    if (proc.exitCode !== null) return ok();
    proc.once('exit', () => ok());
    proc.kill('SIGTERM');
  });
}

export const test = base.extend<{ studio: Studio; annotatorName: string }>({
  annotatorName: ['asha', { option: true }],
  // Playwright reads the fixtures a function needs from its first parameter's pattern, even an empty one.
  // eslint-disable-next-line no-empty-pattern
  studio: async ({}, use) => {
    const { dir, db } = starterProject();
    const token = randomBytes(16).toString('hex');
    let server = await startServer(db, 0, token);
    const url = new URL(server.url);
    const port = Number(url.port);
    /** One query on a fresh read-only connection, closed after, so the tests see what the server committed. */
    const query = <T>(run: (d: Database.Database) => T): T => {
      const d = new Database(db, { readonly: true, fileMustExist: true });
      try {
        return run(d);
      } finally {
        d.close();
      }
    };
    const studio: Studio = {
      db,
      openUrl: server.url,
      origin: url.origin,
      port,
      stop: () => stopServer(server.proc),
      start: async () => {
        server = await startServer(db, port, token);
      },
      labels: () =>
        query(
          (d) =>
            d
              .prepare('SELECT image_id, state, root, vowel, consonant, annotator FROM labels ORDER BY image_id')
              .all() as LabelRow[],
        ),
      label: (imageId) =>
        query(
          (d) =>
            d
              .prepare(
                `SELECT l.image_id, l.state, l.root, l.vowel, l.consonant, l.annotator
                   FROM labels l JOIN images i ON i.id = l.image_id WHERE i.image_id = ?`,
              )
              .get(imageId) as LabelRow,
        ),
      history: (imageId) =>
        query(
          (d) =>
            d
              .prepare(
                `SELECT h.annotator, h.kind, h.after_root FROM label_history h
                   JOIN images i ON i.id = h.image_id WHERE i.image_id = ? ORDER BY h.id`,
              )
              .all(imageId) as { annotator: string; kind: string; after_root: number | null }[],
        ),
      gestures: () =>
        query((d) => d.prepare(`SELECT count(*) FROM gestures WHERE kind = 'edit'`).pluck().get() as number),
    };
    await use(studio);
    await stopServer(server.proc);
    rmSync(dir, { recursive: true, force: true });
  },
  page: async ({ page, annotatorName }, use) => {
    // The annotator was asked once before (a test of the question itself clears this).
    await page.addInitScript((name) => {
      const { localStorage: store } = globalThis as unknown as {
        localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
      };
      if (name && !store.getItem('grapheme-studio.annotator')) store.setItem('grapheme-studio.annotator', name);
    }, annotatorName);
    await use(page);
  },
});

export { expect };

/** The image id (e.g. scan0000/r0c0) of the image the Label view shows. */
export async function currentImageId(page: Page): Promise<string> {
  const img = page.getByRole('img', { name: /Handwritten grapheme/ });
  await expect(img).toBeVisible();
  const alt = (await img.getAttribute('alt')) ?? '';
  const m = /image (\S+) \(id/.exec(alt);
  if (!m) throw new Error(`unexpected alt text: ${alt}`);
  return m[1]!;
}

/** Waits until every save the page made is acknowledged by the server. */
export async function allSaved(page: Page): Promise<void> {
  await expect(page.getByTestId('save-state')).toHaveText('All labels saved');
}

/** Types a class id into a picker and picks it with Enter, as an annotator would. */
export async function pick(page: Page, name: string, id: number): Promise<void> {
  const box = page.getByRole('combobox', { name, exact: true });
  await expect(box).toBeFocused();
  await page.keyboard.type(String(id));
  await expect(page.locator(`[role=option][aria-selected=true]`)).toContainText(String(id));
  await page.keyboard.press('Enter');
}

/** Labels the current image by keyboard only: three picks and Enter to save. */
export async function labelByKeyboard(page: Page, truth: GroundTruth): Promise<void> {
  await pick(page, 'Grapheme root', truth.root);
  await pick(page, 'Vowel diacritic', truth.vowel);
  await pick(page, 'Consonant diacritic', truth.consonant);
  await expect(page.getByLabel('Composed grapheme')).toHaveText(truth.grapheme);
  await page.keyboard.press('Enter');
}

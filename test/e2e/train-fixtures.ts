/**
 * E2E fixture for training: the starter handwriting imported by the real
 * CLI with its labels, except the first UNLABELED images (left for model
 * suggestions), served by the real browser-mode server.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { startServer } from './fixtures.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'grapheme-studio.js');
const STARTER = join(ROOT, 'resources', 'starter', 'bengaliai-forms');
export const UNLABELED = 30;

/** The settings a test types into the Train view: a preview-sized net that trains in seconds. */
export const TINY = { arch: 'resnet18', size: 32, epochs: 2, batch: 16, baseWidth: 8, engine: 'wasm' } as const;

export interface TrainStudio {
  db: string;
  openUrl: string;
  origin: string;
  /** A read-only query on the project file. */
  query<T>(sql: string, ...params: unknown[]): T[];
}

export const test = base.extend<{ studio: TrainStudio; hideEngines: string }>({
  /** GRAPHEME_HIDE_ENGINES for the server and its trainers: engines treated as not installed. */
  hideEngines: ['', { option: true }],
  studio: async ({ hideEngines }, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-e2e-train-'));
    const db = join(dir, 'project.db');
    const lines = readFileSync(join(STARTER, 'labels.csv'), 'utf8').trim().split('\n');
    const labels = join(dir, 'labels.csv');
    writeFileSync(labels, [lines[0], ...lines.slice(1 + UNLABELED)].join('\n') + '\n');
    execFileSync(process.execPath, [CLI, 'import', '--db', db, '--folder', STARTER, '--labels', labels, '--json'], {
      stdio: 'pipe',
    });
    const server = await startServer(db, 0, randomBytes(16).toString('hex'), { GRAPHEME_HIDE_ENGINES: hideEngines });
    const studio: TrainStudio = {
      db,
      openUrl: server.url,
      origin: new URL(server.url).origin,
      query: <T>(sql: string, ...params: unknown[]) => {
        const d = new Database(db, { readonly: true, fileMustExist: true });
        try {
          return d.prepare(sql).all(...params) as T[];
        } finally {
          d.close();
        }
      },
    };
    await use(studio);
    await new Promise<void>((ok) => {
      if (server.proc.exitCode !== null) return ok();
      server.proc.once('exit', () => ok());
      server.proc.kill('SIGTERM');
    });
    rmSync(dir, { recursive: true, force: true });
  },
  page: async ({ page }, use) => {
    await page.addInitScript(() => {
      const store = (
        globalThis as unknown as {
          localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
        }
      ).localStorage;
      if (!store.getItem('grapheme-studio.annotator')) store.setItem('grapheme-studio.annotator', 'tariq');
    });
    await use(page);
  },
});

/** Calls the API from the page, with its token cookie, as the renderer does; throws the call's error message. */
export async function callApi<T>(page: Page, method: string, input: unknown): Promise<T> {
  return page.evaluate(
    async ([m, i]) => {
      const res = await fetch(`/api/${m}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(i),
      });
      const body = (await res.json()) as { ok: boolean; value: unknown; error?: { message: string } };
      if (!body.ok) throw new Error(body.error!.message);
      return body.value;
    },
    [method, input] as const,
  ) as Promise<T>;
}

export { expect };

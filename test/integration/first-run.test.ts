/**
 * Issue 13, finding 8: a first run without surprises. `npm start` builds only
 * when a source changed since the last build, and the starter folder carries
 * its dataset's README and licence text.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMS, tempDir } from '../helpers.js';
// @ts-expect-error -- a plain ESM script of the repository, without type declarations
import { staleReason } from '../../scripts/build-if-changed.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const stale = staleReason as (root: string) => string | null;

describe('npm start builds only when sources changed', () => {
  it('finds a missing build, a fresh one, and a source edited after it', () => {
    const root = tempDir();
    const at = (path: string, seconds: number) => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), '');
      utimesSync(join(root, path), seconds, seconds);
    };
    at('src-main/cli/main.ts', 1000);
    at('src-renderer/src/App.svelte', 1000);
    at('package.json', 1000);
    expect(stale(root)).toBe('dist/main/cli/index.js is missing');
    for (const out of ['dist/main/cli/index.js', 'dist/main/electron/main.js', 'dist/renderer/index.html'])
      at(out, 2000);
    expect(stale(root)).toBeNull();
    at('src-renderer/src/App.svelte', 3000);
    expect(stale(root)).toBe('src-renderer/src/App.svelte changed since the last build');
  });

  it('starts browser mode from an up-to-date build without building again', async () => {
    expect(stale(ROOT), 'run npm run build before this test').toBeNull();
    const home = tempDir();
    const child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, GRAPHEME_STUDIO_BROWSER: '1', GRAPHEME_STUDIO_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`no URL printed: ${out}`)), 60_000);
        child.stdout.on('data', () => {
          if (!/Open http/.test(out)) return;
          clearTimeout(timer);
          ok();
        });
        child.once('exit', (code) => fail(new Error(`npm start exited with ${code}: ${out}`)));
      });
      expect(out).toContain('Starting browser mode because GRAPHEME_STUDIO_BROWSER is set');
      expect(out).not.toMatch(/Building|building for production|build:main|tsc -p/);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(home, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('the starter folder', () => {
  it("carries the dataset's README and its MIT licence text", () => {
    const readme = readFileSync(join(FORMS, 'README.md'), 'utf8');
    expect(readme).toContain('Copyright (c) 2019 Bengali.AI');
    expect(readme).toContain('BengaliAI/graphemePrepare');
    const licence = readFileSync(join(FORMS, 'LICENSE'), 'utf8');
    expect(licence).toMatch(/^MIT License\n\nCopyright \(c\) 2019 Bengali\.AI\n/);
    expect(licence).toContain('Permission is hereby granted, free of charge');
    expect(licence).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
  });
});

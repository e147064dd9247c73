#!/usr/bin/env node
// After npm install: where Electron's binary was installed, build a second better-sqlite3 for Electron's ABI
// (node_modules/.electron-native), so that `npm test` (Node) and `npm start` (Electron) both work from one
// install. Never fails the install: without Electron, or offline, it says why and exits 0.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const out = join(root, 'node_modules', '.electron-native', 'better_sqlite3.node');

function electronVersion() {
  try {
    const binary = require('electron');
    if (typeof binary !== 'string' || !existsSync(binary)) return null;
    return JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

const version = electronVersion();
if (!version) {
  console.log('postinstall: Electron binary not installed; the app will run in browser mode (npm start).');
  process.exit(0);
}
if (existsSync(out) && !process.env.GRAPHEME_STUDIO_REBUILD) process.exit(0);
const work = mkdtempSync(join(tmpdir(), 'gs-sqlite-electron-'));
try {
  cpSync(join(root, 'node_modules', 'better-sqlite3'), work, { recursive: true });
  rmSync(join(work, 'build'), { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      require.resolve('node-gyp/bin/node-gyp.js'),
      'rebuild',
      '--release',
      `--target=${version}`,
      '--runtime=electron',
      '--dist-url=https://electronjs.org/headers',
    ],
    { cwd: work, stdio: 'inherit' },
  );
  mkdirSync(dirname(out), { recursive: true });
  cpSync(join(work, 'build', 'Release', 'better_sqlite3.node'), out);
  console.log(`postinstall: built better-sqlite3 for Electron ${version} at ${out}`);
} catch (err) {
  console.warn(
    `postinstall: could not build better-sqlite3 for Electron (${err.message}); npm start will fail under Electron until it can.`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

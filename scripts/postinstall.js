#!/usr/bin/env node
// After npm install: where Electron's binary was installed, build a second better-sqlite3 for Electron's ABI
// (node_modules/.electron-native), so that `npm test` (Node) and `npm start` (Electron) both work from one
// install. Where npm dropped Electron (its binary download failed, e.g. offline CI), it extracts the same
// version's electron.d.ts into node_modules/.electron-types, so `npm run typecheck` checks src-main/electron
// against Electron's own types. Never fails the install: without Electron, or offline, it says why and exits 0.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** The electron version the lockfile pins (package.json's range where there is no lockfile). */
function pinnedElectron() {
  try {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
    const v = lock.packages?.['node_modules/electron']?.version;
    if (v) return v;
  } catch {
    // No lockfile: fall through.
  }
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).optionalDependencies.electron;
}

function ensureElectronTypes() {
  if (existsSync(join(root, 'node_modules', 'electron', 'electron.d.ts'))) return;
  const version = pinnedElectron();
  const dest = join(root, 'node_modules', '.electron-types');
  const stamp = join(dest, 'version');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === version) return;
  const work = mkdtempSync(join(tmpdir(), 'gs-electron-types-'));
  try {
    // The tarball npm just fetched (and cached) for the dropped package; npm pack runs no install script.
    const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
    const packed = execFileSync(npm[0], [...npm.slice(1), 'pack', `electron@${version}`, '--silent'], {
      cwd: work,
      encoding: 'utf8',
    });
    const tarball = packed.trim().split('\n').pop();
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work, 'package/electron.d.ts']);
    mkdirSync(dest, { recursive: true });
    cpSync(join(work, 'package', 'electron.d.ts'), join(dest, 'electron.d.ts'));
    writeFileSync(stamp, version);
    console.log(`postinstall: Electron ${version} not installed; its type definitions are in ${dest}`);
  } catch (err) {
    console.warn(
      `postinstall: could not fetch Electron ${version}'s type definitions (${err.message}); npm run typecheck will fail`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

ensureElectronTypes();
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

#!/usr/bin/env node
// npm start: the desktop app where Electron is installed, else browser mode on the same project.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfChanged } from './build-if-changed.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
buildIfChanged(root);
const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    const path = require('electron'); // the package exports the binary's path
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const args = process.argv.slice(2);
const electron = electronBinary();
if (electron && !process.env.GRAPHEME_STUDIO_BROWSER) {
  const child = spawn(electron, [join(root, 'dist', 'main', 'electron', 'main.js'), ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const why = process.env.GRAPHEME_STUDIO_BROWSER
    ? 'GRAPHEME_STUDIO_BROWSER is set'
    : 'the Electron binary is not installed (its download is unavailable here)';
  process.stderr.write(`Starting browser mode because ${why}.\n`);
  const { startBrowserMode } = await import(join(root, 'dist', 'main', 'cli', 'start.js'));
  await startBrowserMode(args);
}

// npm start builds only when a source is newer than the build (a full build takes seconds a restart
// should not pay). Sources: both source trees and the files that configure the build.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = ['src-main', 'src-renderer', 'package.json', 'tsconfig.json', 'vite.config.ts', 'svelte.config.js'];
/** Files every build writes anew (tsc emits all its outputs; vite empties its folder). */
const OUTPUTS = ['dist/main/cli/index.js', 'dist/main/electron/main.js', 'dist/renderer/index.html'];

/** The newest modification time under a file or folder, and the file it belongs to. */
function newest(path) {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return { time: 0, file: path };
  if (!info.isDirectory()) return { time: info.mtimeMs, file: path };
  let best = { time: 0, file: path };
  for (const name of readdirSync(path)) {
    const found = newest(join(path, name));
    if (found.time > best.time) best = found;
  }
  return best;
}

/** Why the build in `root` is out of date, or null when it is not. */
export function staleReason(root) {
  let built = Infinity;
  for (const out of OUTPUTS) {
    const info = statSync(join(root, out), { throwIfNoEntry: false });
    if (!info) return `${out} is missing`;
    built = Math.min(built, info.mtimeMs);
  }
  for (const source of SOURCES) {
    const { time, file } = newest(join(root, source));
    if (time > built) return `${file.slice(root.length + 1)} changed since the last build`;
  }
  return null;
}

/** Builds `root` when it is out of date; returns whether it built. Exits when the build fails. */
export function buildIfChanged(root) {
  const why = staleReason(root);
  if (!why) return false;
  process.stderr.write(`Building (${why})…\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  return true;
}

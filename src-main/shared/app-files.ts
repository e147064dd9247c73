/**
 * Where the app's own files are: the one module that locates them relative
 * to itself. The app root is the folder of its package.json (the repository
 * in development and tests, app.asar when packaged); compiled scripts live
 * under its dist/main, the renderer under dist/renderer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../contract/envelope.js';

function findRoot(): { root: string; version: string } {
  // src-main/shared/ from the sources, dist/main/shared/ once built.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'grapheme-studio' && pkg.version) return { root: dir, version: pkg.version };
    } catch {
      // not here; look one level up
    }
    dir = dirname(dir);
  }
  return { root: join(dirname(fileURLToPath(import.meta.url)), '..', '..'), version: '0.0.0' };
}

const found = findRoot();
export const APP_ROOT = found.root;
export const APP_VERSION = found.version;

/** A path under the build output, dist/ (`renderer`, `main/electron/preload.cjs`). */
export function distFile(relative: string): string {
  return join(APP_ROOT, 'dist', relative);
}

/** A compiled script of the app (`store/checkpoint-worker.js`), or undefined before `npm run build`. */
export function builtScript(relative: string): string | undefined {
  const path = distFile(join('main', relative));
  return existsSync(path) ? path : undefined;
}

/** The trainer process's entry, dist/main/train/worker.js. */
export function trainerEntry(): string {
  const path = builtScript(join('train', 'worker.js'));
  if (path) return path;
  throw new AppError(
    'unavailable',
    `trainer entry ${distFile(join('main', 'train', 'worker.js'))} is missing: run npm run build first`,
  );
}

/** dist/renderer, where `npm run build` puts the front end; undefined when it is not built. */
export function rendererDir(): string | undefined {
  const dir = distFile('renderer');
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}

/**
 * better-sqlite3 is compiled for Node's ABI by npm install (tests, CLI). Under
 * Electron in development the app loads a second build made for Electron's
 * ABI by scripts/postinstall.js; packaged apps are rebuilt by electron-builder
 * and use the default binding.
 */
export const ELECTRON_NATIVE_DIR = join('node_modules', '.electron-native');

export function sqliteNativeBinding(): string | undefined {
  if (!process.versions.electron) return undefined;
  const candidate = join(APP_ROOT, ELECTRON_NATIVE_DIR, 'better_sqlite3.node');
  return existsSync(candidate) ? candidate : undefined;
}

let resources: string | undefined;

/**
 * The folder that holds class_map.csv, fonts and the starter data: in the app
 * root in development and after a build, in the app's resources when packaged
 * (GRAPHEME_STUDIO_RESOURCES or Electron's resourcesPath).
 */
export function resourcesDir(): string {
  if (resources) return resources;
  const candidates: string[] = [];
  if (process.env.GRAPHEME_STUDIO_RESOURCES) candidates.push(process.env.GRAPHEME_STUDIO_RESOURCES);
  const electronResources = (process as { resourcesPath?: string }).resourcesPath;
  if (electronResources) candidates.push(join(electronResources, 'resources'));
  candidates.push(join(APP_ROOT, 'resources'));
  const hit = candidates.find((c) => existsSync(join(c, 'class_map.csv')));
  if (!hit) throw new Error(`resources folder with class_map.csv not found (looked in ${candidates.join(', ')})`);
  resources = hit;
  return hit;
}

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * better-sqlite3 is compiled for Node's ABI by npm install (tests, CLI). Under
 * Electron in development the app loads a second build made for Electron's
 * ABI by scripts/postinstall.js; packaged apps are rebuilt by electron-builder
 * and use the default binding.
 */
export const ELECTRON_NATIVE_DIR = join('node_modules', '.electron-native');

export function sqliteNativeBinding(): string | undefined {
  if (!process.versions.electron) return undefined;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, ELECTRON_NATIVE_DIR, 'better_sqlite3.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

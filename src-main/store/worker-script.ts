import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The compiled script of a worker thread: next to the calling module once
 * built, or under dist/main when the caller runs from its TypeScript source
 * (tests). Undefined when neither exists, so callers can fall back.
 */
export function workerScript(callerUrl: string, folder: string, name: string): string | undefined {
  for (const rel of [`./${name}`, `../../dist/main/${folder}/${name}`]) {
    const path = fileURLToPath(new URL(rel, callerUrl));
    if (existsSync(path)) return path;
  }
  return undefined;
}

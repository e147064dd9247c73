import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The folder that holds class_map.csv, fonts and the starter data: next to the
 * sources in development, next to dist/ after a build, in the app's resources
 * when packaged (GRAPHEME_STUDIO_RESOURCES or Electron's resourcesPath).
 */
export function resourcesDir(): string {
  if (cached) return cached;
  const candidates: string[] = [];
  if (process.env.GRAPHEME_STUDIO_RESOURCES) candidates.push(process.env.GRAPHEME_STUDIO_RESOURCES);
  const electronResources = (process as { resourcesPath?: string }).resourcesPath;
  if (electronResources) candidates.push(join(electronResources, 'resources'));
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    candidates.push(join(dir, 'resources'));
    dir = dirname(dir);
  }
  const found = candidates.find((c) => existsSync(join(c, 'class_map.csv')));
  if (!found) throw new Error(`resources folder with class_map.csv not found (looked in ${candidates.join(', ')})`);
  cached = found;
  return found;
}

/** Where a checkpoint lives on disk; no tfjs here, so the service can ask without loading it. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The checkpoint folder to read: `dir`, or the previous one if a crash hit between the two renames. */
export function checkpointPath(dir: string): string | null {
  if (existsSync(join(dir, 'state.json'))) return dir;
  if (existsSync(join(`${dir}.old`, 'state.json'))) return `${dir}.old`;
  return null;
}

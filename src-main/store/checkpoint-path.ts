/**
 * Where a checkpoint lives on disk and whether it is whole; no tfjs here, so
 * the service can ask without loading it. A checkpoint folder's state.json
 * lists the size and SHA-256 of every other file in it, and the folder of
 * the save before (`<dir>.old`) is kept, so a checkpoint cut short or
 * corrupted on disk is detected and the previous good one is used.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface CheckpointFile {
  bytes: number;
  sha256: string;
}

/** sizes: cheap (catches truncation); hashes: reads every byte (catches corruption). */
export type Depth = 'sizes' | 'hashes';

export function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** What is wrong with one checkpoint folder, or null when it is complete. */
export function checkpointProblem(dir: string, depth: Depth = 'sizes'): string | null {
  const stateFile = join(dir, 'state.json');
  if (!existsSync(stateFile)) return 'no state.json';
  let files: Record<string, CheckpointFile> | undefined;
  try {
    files = (JSON.parse(readFileSync(stateFile, 'utf8')) as { files?: Record<string, CheckpointFile> }).files;
  } catch {
    return 'state.json is not valid JSON (truncated or corrupted)';
  }
  // Checkpoints written before checksums existed carry no list: taken as they are.
  for (const [name, f] of Object.entries(files ?? {})) {
    const path = join(dir, name);
    if (!existsSync(path)) return `${name} is missing`;
    const bytes = statSync(path).size;
    if (bytes !== f.bytes) return `${name} is ${bytes} bytes, expected ${f.bytes} (truncated)`;
    if (depth === 'hashes' && sha256Of(path) !== f.sha256) return `${name} does not match its checksum (corrupted)`;
  }
  return null;
}

export interface CheckpointChoice {
  /** The folder to read, or null when neither the latest nor the previous checkpoint is whole. */
  path: string | null;
  /** Why the latest one was passed over, when it was. */
  rejected: string | null;
}

export function chooseCheckpoint(dir: string, depth: Depth = 'sizes'): CheckpointChoice {
  const latest = checkpointProblem(dir, depth);
  if (latest === null) return { path: dir, rejected: null };
  const previous = checkpointProblem(`${dir}.old`, depth);
  const rejected = existsSync(dir) ? `the latest checkpoint (${dir}) is unusable: ${latest}` : null;
  return { path: previous === null ? `${dir}.old` : null, rejected };
}

/** The checkpoint folder to read: `dir`, or the previous one when `dir` is missing, cut short or corrupted. */
export function checkpointPath(dir: string, depth: Depth = 'sizes'): string | null {
  return chooseCheckpoint(dir, depth).path;
}

/**
 * Where training stands in the checkpoint a resume would read: its epochs done and optimizer steps
 * (state.json), or null when there is no whole checkpoint.
 */
export function checkpointProgress(dir: string): { epoch: number; step: number } | null {
  const path = checkpointPath(dir);
  if (!path) return null;
  const { epoch, step } = JSON.parse(readFileSync(join(path, 'state.json'), 'utf8')) as { epoch: number; step: number };
  return { epoch, step };
}

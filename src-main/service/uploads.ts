/**
 * Where browser-mode uploads wait to be imported: one folder per batch beside the
 * project file (the same disk as the project; /tmp may be memory), removed once its
 * batch is imported or discarded. The same importers then read them as the CLI would.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { AppError } from '../contract/envelope.js';
import type { Project } from '../store/project.js';

export const BATCH_ID = /^[\w-]{8,64}$/;
const DATA_FILES = new Set(['.parquet', '.csv']);
const MAX_DEPTH = 32;
/** A batch left behind (a closed tab, a crash) is removed after this long. */
const STALE_MS = 24 * 3600_000;

/** Where one uploaded file goes, and the name to show for it (the path the user chose). */
export interface UploadTarget {
  file: string;
  shown: string;
}

export class UploadArea {
  readonly root: string;

  constructor(project: Project) {
    this.root = join(dirname(project.path), `.${basename(project.path)}.uploads`);
  }

  batchDir(batch: string): string {
    if (!BATCH_ID.test(batch)) throw new AppError('bad_input', `"${batch}" is not an upload batch id`);
    return join(this.root, batch);
  }

  /**
   * The file a relative path of an upload goes to. Files inside a folder keep their
   * place (a folder import, with a labels CSV beside its images); loose images go
   * together; parquet files and loose CSVs go apart, to be imported as such.
   */
  target(batch: string, relPath: string): UploadTarget {
    const parts = relPath.split('/');
    const bad = parts.find((p) => p === '' || p === '.' || p === '..' || p.length > 255 || /[\\\0]/.test(p));
    if (bad !== undefined || parts.length > MAX_DEPTH)
      throw new AppError('bad_input', `"${relPath}" is not a relative file path`);
    const ext = extname(relPath).toLowerCase();
    const dir = this.batchDir(batch);
    const file =
      ext === '.parquet' || (parts.length === 1 && DATA_FILES.has(ext))
        ? join(dir, 'data', parts.at(-1)!)
        : parts.length === 1
          ? join(dir, 'loose', parts[0]!)
          : join(dir, 'folders', ...parts);
    mkdirSync(dirname(file), { recursive: true });
    return { file, shown: relPath };
  }

  discard(batch: string): boolean {
    const dir = this.batchDir(batch);
    const existed = statSync(dir, { throwIfNoEntry: false }) !== undefined;
    rmSync(dir, { recursive: true, force: true });
    return existed;
  }

  /** Removes batches older than a day (left by a closed tab or a crash). */
  sweep(now = Date.now()): void {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return;
    }
    for (const name of names) {
      const info = statSync(join(this.root, name), { throwIfNoEntry: false });
      if (info && now - info.mtimeMs > STALE_MS) rmSync(join(this.root, name), { recursive: true, force: true });
    }
  }
}

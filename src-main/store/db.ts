import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../contract/envelope.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations/index.js';
import { sqliteNativeBinding } from '../shared/app-files.js';

export type DB = Database.Database;

export interface OpenOptions {
  readonly?: boolean;
}

/**
 * Opens (or creates) a project file, runs pending migrations in one
 * transaction, and refuses a file written by a newer version of the app.
 */
export function openDatabase(file: string, options: OpenOptions = {}): DB {
  if (!options.readonly && file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let db: DB;
  try {
    const nativeBinding = sqliteNativeBinding();
    db = new Database(file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
      ...(nativeBinding ? { nativeBinding } : {}),
    });
  } catch (err) {
    // A WAL project on a read-only disk needs its -shm file, which SQLite cannot create there.
    const hint = options.readonly ? ' (it is read-only; copy it to a writable folder to open it)' : '';
    throw new AppError('bad_input', `Cannot open project file ${file}: ${(err as Error).message}${hint}`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    if (!options.readonly) {
      // 4 KB pages: a stored image (13-14 KB of PNG) overflows into full pages and leaves a small head in its
      // leaf; with 8 KB pages that head is larger and alone in its page (2.5 KB of 16.5 per parquet row
      // unused, 0.65 KB with 4 KB pages). Only takes effect on a new file; older projects keep theirs.
      db.pragma('page_size = 4096');
      db.pragma('journal_mode = WAL');
      // FULL: a label write the UI was told about survives power loss, not only a crash.
      db.pragma('synchronous = FULL');
      migrate(db, file);
    } else {
      checkVersion(db, file);
    }
  } catch (err) {
    db.close();
    if (err instanceof AppError) throw err;
    throw new AppError('bad_input', `Cannot open project file ${file}: ${(err as Error).message}`);
  }
  return db;
}

function checkVersion(db: DB, file: string): number {
  let version: number;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
  } catch (err) {
    throw new AppError('bad_input', `${file} is not a Grapheme Studio project: ${(err as Error).message}`);
  }
  if (version > SCHEMA_VERSION) {
    throw new AppError(
      'conflict',
      `${file} was written by a newer Grapheme Studio (schema ${version}; this version knows up to ${SCHEMA_VERSION}). Update the app to open it.`,
    );
  }
  return version;
}

export function migrate(db: DB, file = 'project'): void {
  const version = checkVersion(db, file);
  if (version === SCHEMA_VERSION) return;
  const run = db.transaction(() => {
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  run.immediate();
}

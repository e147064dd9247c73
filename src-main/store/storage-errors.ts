import { dirname } from 'node:path';
import { AppError } from '../contract/envelope.js';

/**
 * What the disk said, in words a user can act on: SQLite's and Node's
 * storage error codes become typed errors that name the project and say
 * nothing was saved. Other errors pass through (null).
 */
export function storageError(err: unknown, projectPath: string): AppError | null {
  if (err instanceof AppError) return null;
  const code = String((err as { code?: unknown })?.code ?? '');
  const where = dirname(projectPath);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new AppError(
      'unavailable',
      `The disk holding the project (${where}) is full: this change was not saved. Free some space and try again; everything saved before is intact.`,
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') {
    return new AppError(
      'unavailable',
      `The project ${projectPath} is read-only: you can browse it, but changes cannot be saved. Copy it to a writable folder to edit it.`,
    );
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') {
    return new AppError(
      'unavailable',
      `The disk holding the project (${where}) failed to write (${code}): this change was not saved.`,
    );
  }
  return null;
}

/**
 * POST /upload/{batch}?path=REL: one file of an upload batch, streamed to disk (never
 * held in memory whole) under the service's upload area. The body must be
 * application/octet-stream (a cross-site form cannot send that), and sizes are
 * capped per file and per batch with a message that says what to do instead.
 */
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, fail, ok, type Envelope } from '../contract/envelope.js';
import type { UploadArea } from '../service/uploads.js';

export interface UploadLimits {
  /** Largest single file, in bytes. */
  fileBytes: number;
  /** Largest batch (all files of one import), in bytes. */
  batchBytes: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { fileBytes: 2 * 1024 ** 3, batchBytes: 16 * 1024 ** 3 };
/** An upload that sends nothing for this long is dropped, so it never holds a request open forever. */
const IDLE_MS = 60_000;

function size(n: number): string {
  if (n >= 1024 ** 3) return `${+(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${+(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${n} bytes`;
}
const instead = 'import it from a path on the machine that runs Grapheme Studio instead (Import > From this machine)';

export class Uploads {
  /** Bytes received so far per batch, for the batch limit. */
  private readonly received = new Map<string, number>();

  constructor(
    private readonly area: UploadArea,
    private readonly limits: UploadLimits,
  ) {}

  async receive(req: IncomingMessage, batch: string, relPath: string | null): Promise<Envelope<unknown>> {
    if (!relPath) return fail('bad_input', 'The upload needs ?path=RELATIVE/PATH of the file.');
    if (!(req.headers['content-type'] ?? '').startsWith('application/octet-stream'))
      return fail('bad_input', 'Content-Type must be application/octet-stream.');
    let target;
    try {
      target = this.area.target(batch, relPath);
    } catch (err) {
      if (err instanceof AppError) return fail(err.code, err.message);
      throw err;
    }
    const { fileBytes, batchBytes } = this.limits;
    const declared = Number(req.headers['content-length'] ?? NaN);
    const before = this.received.get(batch) ?? 0;
    if (declared > fileBytes)
      return fail(
        'bad_input',
        `${relPath} (${size(declared)}) is over the ${size(fileBytes)} upload limit per file: ${instead}.`,
      );
    // Browsers send Content-Length for a file: refuse before reading, so the reply is read, not a reset.
    if (before + declared > batchBytes)
      return fail(
        'bad_input',
        `This upload is over the ${size(batchBytes)} limit per import: import fewer files at once, or ${instead}.`,
      );
    let count = 0;
    let over: string | null = null;
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        count += chunk.length;
        if (count > fileBytes) over = `${relPath} is over the ${size(fileBytes)} upload limit per file: ${instead}.`;
        else if (before + count > batchBytes)
          over = `This upload is over the ${size(batchBytes)} limit per import: import fewer files at once, or ${instead}.`;
        done(over ? new Error(over) : null, chunk);
      },
    });
    req.setTimeout(IDLE_MS, () => req.destroy(new Error(`no data for ${IDLE_MS / 1000} s`)));
    try {
      // 'wx': the same path twice in one batch is refused rather than overwritten.
      await pipeline(req, counter, createWriteStream(target.file, { flags: 'wx' }));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') await unlink(target.file).catch(() => {});
      if (over) return fail('bad_input', over);
      if (code === 'EEXIST') return fail('conflict', `${relPath} was uploaded twice in this import.`);
      if (code === 'ENOSPC') return fail('unavailable', `The disk of the project is full: ${relPath} was not stored.`);
      return fail('cancelled', `The upload of ${relPath} stopped: ${(err as Error).message}`);
    }
    this.received.set(batch, before + count);
    return ok({ path: target.shown, bytes: count });
  }

  /** The batch was imported or discarded: its byte count goes. */
  forget(batch: string): void {
    this.received.delete(batch);
  }
}

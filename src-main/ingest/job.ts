import type { ImportSummary, Rejection } from '../contract/domain.js';
import type { ImportProgress } from '../contract/events.js';
import type { NewImage } from '../store/images.js';
import type { Project } from '../store/project.js';
import { DEFAULT_CACHE_SIZE } from './preprocess.js';
import { encodeImage, type Encoded } from './encode.js';

export interface ImportOptions {
  jobId: string;
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
}

export interface Candidate {
  imageId: string;
  /**
   * The name to use when `imageId` is taken by an image with other content: batches
   * that repeat file names (scanner numbering 001.png …) then still import.
   */
  fallbackId?: string;
  source: string;
  format: 'png' | 'jpeg';
  bytes: Buffer;
  width: number;
  height: number;
  /** Decoded grayscale pixels; not needed when `encoded` is given. */
  gray?: Uint8Array;
  /** Hash and training cache computed elsewhere (a worker thread); else computed here from `gray`. */
  encoded?: Encoded;
}

/** Why an image could not be stored under its name, and what to do about it. */
function nameTaken(imageId: string, fallbackId: string | undefined): string {
  if (!fallbackId)
    return `an image named "${imageId}" with different content is already in the project: give this one another name (image_id) or import it into another project`;
  return `images named "${imageId}" and "${fallbackId}" with different content are already in the project: import the folder above this one, so that names carry one more folder, or rename this folder`;
}

const PROGRESS_INTERVAL_MS = 200;
const BATCH = 256;

/**
 * Collects images of one import and writes them in batches, each batch one
 * transaction: a crash loses at most the batch in flight, and re-running the
 * import skips what is already stored (content hash), so it completes.
 */
export class ImportJob {
  readonly summary: ImportSummary;
  private pending: NewImage[] = [];
  private pendingSources: string[] = [];
  private pendingNames: { imageId: string; fallbackId?: string }[] = [];
  private done = 0;
  private lastEmit = 0;
  /** image_id -> database id for every image this import saw, new or already stored. */
  readonly seen = new Map<string, number>();

  constructor(
    private readonly project: Project,
    private readonly kind: ImportProgress['kind'],
    private readonly opts: ImportOptions,
    private total: number | null = null,
  ) {
    this.summary = { jobId: opts.jobId, imported: 0, duplicates: 0, labeled: 0, rejected: [], cancelled: false };
  }

  get cancelled(): boolean {
    return this.opts.signal?.aborted ?? false;
  }

  setTotal(total: number | null): void {
    this.total = total;
  }

  add(c: Candidate): void {
    const encoded = c.encoded ?? encodeImage(c.gray!, c.width, c.height, { png: false, hashOf: c.bytes });
    this.pending.push({
      imageId: c.imageId,
      sha256: encoded.sha256,
      source: c.source,
      width: c.width,
      height: c.height,
      format: c.format,
      bytes: c.bytes,
      cacheSize: DEFAULT_CACHE_SIZE,
      cache: encoded.cache,
    });
    this.pendingSources.push(c.source);
    this.pendingNames.push({ imageId: c.imageId, ...(c.fallbackId ? { fallbackId: c.fallbackId } : {}) });
    if (this.pending.length >= BATCH) this.flush();
  }

  reject(source: string, reason: string): void {
    const r: Rejection = { source, reason };
    this.summary.rejected.push(r);
    this.done++;
    this.emit(false, r);
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    const sources = this.pendingSources;
    const names = this.pendingNames;
    this.pending = [];
    this.pendingSources = [];
    this.pendingNames = [];
    const { images } = this.project;
    const rejected: Rejection[] = [];
    this.project.db
      .transaction(() => {
        batch.forEach((img, i) => {
          const { imageId, fallbackId } = names[i]!;
          let outcome = images.insert(img);
          if (outcome.kind === 'name-taken' && fallbackId) outcome = images.insert({ ...img, imageId: fallbackId });
          // Keyed by the name the import gave it, which is what its labels CSV uses.
          if (outcome.kind === 'inserted') {
            this.summary.imported++;
            this.seen.set(imageId, outcome.id);
          } else if (outcome.kind === 'duplicate') {
            this.summary.duplicates++;
            this.seen.set(imageId, outcome.id);
          } else rejected.push({ source: sources[i]!, reason: nameTaken(imageId, fallbackId) });
        });
      })
      .immediate();
    this.done += batch.length;
    for (const r of rejected) this.reject(r.source, r.reason);
    this.emit(false);
  }

  emit(force: boolean, lastRejection?: Rejection): void {
    const now = Date.now();
    if (!force && !lastRejection && now - this.lastEmit < PROGRESS_INTERVAL_MS) return;
    this.lastEmit = now;
    this.opts.onProgress?.({
      jobId: this.opts.jobId,
      kind: this.kind,
      done: this.done,
      total: this.total,
      imported: this.summary.imported,
      duplicates: this.summary.duplicates,
      rejected: this.summary.rejected.length,
      ...(lastRejection ? { lastRejection } : {}),
    });
  }

  finish(): ImportSummary {
    this.flush();
    this.summary.cancelled = this.cancelled;
    this.emit(true);
    return this.summary;
  }
}

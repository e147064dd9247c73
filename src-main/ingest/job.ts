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
  /** Least time between two progress events (default 200 ms); 0 sends every update. */
  progressIntervalMs?: number;
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
/**
 * A batch is committed once it holds BATCH images and BATCH_MS have passed
 * since the last commit, or at MAX_BATCH: at a few thousand images a second,
 * 256-image commits spent more time in fsync and cache spills than in inserts
 * (1.0 against 0.6 ms per image measured), and a crash still loses at most
 * a quarter second of work, which a re-run redoes.
 */
const BATCH = 256;
const BATCH_MS = 250;
const MAX_BATCH = 2048;
/** Page cache for the import's connection, in KiB: a batch of 2,048 images (~32 MB) fits without spilling. */
const CACHE_KIB = 65536;

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
  private lastFlush = Date.now();
  /** Work in progress on items not yet done, in items (a row group half read counts for part of its rows). */
  private partial = 0;
  private stage: string | undefined;
  private work = 0;
  private readonly started = Date.now();
  /** image_id -> database id for every image this import saw, new or already stored. */
  readonly seen = new Map<string, number>();

  constructor(
    private readonly project: Project,
    private readonly kind: ImportProgress['kind'],
    private readonly opts: ImportOptions,
    private total: number | null = null,
  ) {
    if (-(project.db.pragma('cache_size', { simple: true }) as number) < CACHE_KIB)
      project.db.pragma(`cache_size = -${CACHE_KIB}`);
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
      ...(encoded.cache ? { cacheSize: DEFAULT_CACHE_SIZE, cache: encoded.cache } : {}),
    });
    this.pendingSources.push(c.source);
    this.pendingNames.push({ imageId: c.imageId, ...(c.fallbackId ? { fallbackId: c.fallbackId } : {}) });
    const n = this.pending.length;
    if (n >= MAX_BATCH || (n >= BATCH && Date.now() - this.lastFlush >= BATCH_MS)) this.flush();
  }

  /**
   * Reports work in progress worth `items` of the total that `done` does not
   * count yet, so rate and ETA move while a large row group is being read.
   */
  progressWithin(items: number, stage?: string): void {
    this.partial = Math.max(0, items);
    this.stage = stage;
    this.emit(false);
  }

  reject(source: string, reason: string): void {
    const r: Rejection = { source, reason };
    this.summary.rejected.push(r);
    this.done++;
    this.emit(false, r);
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.lastFlush = Date.now();
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
    if (!force && !lastRejection && now - this.lastEmit < (this.opts.progressIntervalMs ?? PROGRESS_INTERVAL_MS))
      return;
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
      ...this.estimate(now),
    });
  }

  /** Rate and ETA over the whole job so far, counting work in progress; null for the first half second. */
  private estimate(now: number): Pick<ImportProgress, 'fraction' | 'rate' | 'etaSeconds' | 'stage'> {
    // Never less than reported before: the weight of work in progress is re-estimated as it is measured,
    // and a bar that moves back tells nothing true.
    const work = (this.work = Math.max(this.work, this.done + this.partial));
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed >= 0.5 && work > 0 ? work / elapsed : null;
    const total = this.total;
    return {
      ...(total ? { fraction: Math.min(1, work / total) } : {}),
      rate,
      etaSeconds: rate && total ? Math.max(0, total - work) / rate : null,
      ...(this.stage ? { stage: this.stage } : {}),
    };
  }

  finish(): ImportSummary {
    this.flush();
    this.summary.cancelled = this.cancelled;
    this.emit(true);
    return this.summary;
  }
}

import { basename } from 'node:path';
import type { Taxonomy } from '../contract/domain.js';
import { openDatabase, type DB } from './db.js';
import { ImageStore } from './images.js';
import { LabelStore } from './labels.js';
import { loadTaxonomy, seedTaxonomy } from './taxonomy.js';
import { SCHEMA_VERSION } from './migrations/index.js';

/** One open project file and the stores over it. */
export class Project {
  readonly db: DB;
  readonly images: ImageStore;
  readonly labels: LabelStore;
  readonly taxonomy: Taxonomy;

  constructor(readonly path: string) {
    this.db = openDatabase(path);
    seedTaxonomy(this.db);
    this.images = new ImageStore(this.db);
    this.labels = new LabelStore(this.db);
    this.taxonomy = loadTaxonomy(this.db);
  }

  get name(): string {
    return basename(this.path).replace(/\.[^.]+$/, '');
  }

  get schemaVersion(): number {
    return SCHEMA_VERSION;
  }

  private checkpointTimer: NodeJS.Timeout | undefined;

  /**
   * For long-lived processes (the app, browser mode): fold the WAL back into
   * the database on a timer, so that a label save rarely pays for an automatic
   * checkpoint on its way to the user's acknowledgement.
   */
  startBackgroundCheckpoints(everyMs = 5_000): void {
    this.checkpointTimer ??= setInterval(() => {
      if (this.db.open) this.db.pragma('wal_checkpoint(PASSIVE)');
    }, everyMs).unref();
  }

  close(): void {
    clearInterval(this.checkpointTimer);
    if (this.db.open) this.db.close();
  }
}

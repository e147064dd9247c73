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

  close(): void {
    if (this.db.open) this.db.close();
  }
}

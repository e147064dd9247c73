import { rmSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Taxonomy } from '../contract/domain.js';
import { builtScript, sqliteNativeBinding } from '../shared/app-files.js';
import { openDatabase, type DB } from './db.js';
import { ImageStore } from './images.js';
import { LabelStore } from './labels.js';
import { PredictionStore } from './predictions.js';
import { RunStore } from './runs.js';
import { loadTaxonomy, seedTaxonomy } from './taxonomy.js';
import { SCHEMA_VERSION } from './migrations/index.js';

/** One open project file and the stores over it. */
export class Project {
  readonly db: DB;
  readonly images: ImageStore;
  readonly labels: LabelStore;
  readonly runs: RunStore;
  readonly predictions: PredictionStore;
  readonly taxonomy: Taxonomy;

  constructor(readonly path: string) {
    this.db = openDatabase(path);
    seedTaxonomy(this.db);
    this.images = new ImageStore(this.db);
    this.labels = new LabelStore(this.db);
    this.runs = new RunStore(this.db);
    this.predictions = new PredictionStore(this.db);
    this.taxonomy = loadTaxonomy(this.db);
  }

  get name(): string {
    return basename(this.path).replace(/\.[^.]+$/, '');
  }

  get schemaVersion(): number {
    return SCHEMA_VERSION;
  }

  /**
   * Where a run lives on disk: `<project>.runs/run-N/` beside the project
   * file, nothing else in it; its current checkpoint in `last/`.
   */
  runDir(runId: number): { dir: string; checkpoint: string } {
    const dir = join(dirname(this.path), `${basename(this.path, extname(this.path))}.runs`, `run-${runId}`);
    return { dir, checkpoint: join(dir, 'last') };
  }

  /** Deletes a run: its rows (epochs, batches, splits, predictions with it) and its folder. */
  deleteRun(runId: number): boolean {
    const deleted = this.runs.delete(runId);
    rmSync(this.runDir(runId).dir, { recursive: true, force: true });
    return deleted;
  }

  private checkpointer: Worker | undefined;

  /**
   * For long-lived processes (the app, browser mode): a worker thread folds
   * the WAL back into the database every second, and this connection's own
   * automatic checkpoint moves out to a 64 MB WAL as a backstop, so a label
   * save is not the one that pays for a checkpoint.
   */
  startBackgroundCheckpoints(everyMs = 1_000): void {
    if (this.checkpointer || this.path === ':memory:') return;
    const script = builtScript('store/checkpoint-worker.js');
    if (!script) return;
    const nativeBinding = sqliteNativeBinding();
    this.checkpointer = new Worker(script, { workerData: { file: this.path, everyMs, nativeBinding } });
    this.checkpointer.unref();
    this.checkpointer.on('error', () => this.db.open && this.db.pragma('wal_autocheckpoint = 1000'));
    this.db.pragma('wal_autocheckpoint = 8000');
  }

  close(): void {
    this.checkpointer?.postMessage('stop');
    this.checkpointer = undefined;
    if (this.db.open) this.db.close();
  }
}

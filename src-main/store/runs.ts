/**
 * The run record: runs, run_epochs, run_splits, run_batches, and the project's
 * own split (splits). Written only by the service's process; the trainer
 * process reads a run's split through `splitImages` on a read-only connection.
 */
import { COMPONENTS, type Component } from '../contract/domain.js';
import type { DB } from './db.js';
import type {
  BatchPoint,
  EpochRecord,
  EpochResult,
  RunRecord,
  RunStatus,
  RunSummary,
  SplitReport,
  TrainConfig,
} from '../contract/training.js';

interface RunRow {
  id: number;
  created_at: number;
  finished_at: number | null;
  status: RunStatus;
  config: string;
  engine: string | null;
  device: string | null;
  error: string | null;
  summary: string | null;
  checkpoint: string | null;
}

const toRecord = (r: RunRow): RunRecord => ({
  id: r.id,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
  status: r.status,
  config: JSON.parse(r.config) as TrainConfig,
  engine: r.engine,
  device: r.device,
  error: r.error,
  summary: r.summary ? (JSON.parse(r.summary) as RunSummary) : {},
  checkpoint: r.checkpoint,
});

export class RunStore {
  constructor(private readonly db: DB) {}

  create(config: TrainConfig, split: { train: number[]; val: number[] }, report: SplitReport, now = Date.now()) {
    const insertSplit = this.db.prepare('INSERT INTO run_splits (run_id, image_id, split) VALUES (?, ?, ?)');
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare("INSERT INTO runs (created_at, status, config, summary) VALUES (?, 'queued', ?, ?)")
          .run(now, JSON.stringify(config), JSON.stringify({ split: report })).lastInsertRowid,
      );
      for (const imageId of split.train) insertSplit.run(id, imageId, 'train');
      for (const imageId of split.val) insertSplit.run(id, imageId, 'val');
      return id;
    })();
  }

  /**
   * The record of a model this project did not train (the shipped pretrained one, service/pretrained-run.ts),
   * under a fixed id, finished from the start, its validation split every labeled image.
   */
  createFinished(id: number, config: TrainConfig, summary: RunSummary, fields: { engine: string; checkpoint: string }) {
    this.db
      .prepare(
        `INSERT INTO runs (id, created_at, finished_at, status, config, engine, summary, checkpoint)
         VALUES (?, ?, ?, 'done', ?, ?, ?, ?)`,
      )
      .run(
        id,
        Date.now(),
        Date.now(),
        JSON.stringify(config),
        fields.engine,
        JSON.stringify(summary),
        fields.checkpoint,
      );
    this.addLabeledToVal(id);
  }

  /** Every labeled image not yet in the run's split joins its validation part (for a model that never saw them). */
  addLabeledToVal(id: number): number {
    return this.db
      .prepare(
        `INSERT OR IGNORE INTO run_splits (run_id, image_id, split)
         SELECT ?, image_id, 'val' FROM labels WHERE state = 'labeled'`,
      )
      .run(id).changes;
  }

  get(id: number): RunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row && toRecord(row);
  }

  list(): RunRecord[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY id DESC').all() as RunRow[]).map(toRecord);
  }

  update(
    id: number,
    fields: Partial<{
      status: RunStatus;
      engine: string;
      device: string;
      error: string | null;
      finishedAt: number | null;
      checkpoint: string;
    }>,
  ): void {
    const cols: Record<string, string> = {
      status: 'status',
      engine: 'engine',
      device: 'device',
      error: 'error',
      finishedAt: 'finished_at',
      checkpoint: 'checkpoint',
    };
    const keys = Object.keys(fields).filter((k) => k in cols);
    if (!keys.length) return;
    const set = keys.map((k) => `${cols[k]} = @${k}`).join(', ');
    this.db.prepare(`UPDATE runs SET ${set} WHERE id = @id`).run({ ...fields, id });
  }

  setSize(id: number, size: number): void {
    const cur = this.get(id);
    if (cur)
      this.db.prepare('UPDATE runs SET config = ? WHERE id = ?').run(JSON.stringify({ ...cur.config, size }), id);
  }

  patchSummary(id: number, patch: Partial<RunSummary>): void {
    const cur = this.get(id);
    if (!cur) return;
    this.db.prepare('UPDATE runs SET summary = ? WHERE id = ?').run(JSON.stringify({ ...cur.summary, ...patch }), id);
  }

  saveEpoch(id: number, e: EpochResult): void {
    const { epoch, ...metrics } = e;
    this.db
      .prepare('INSERT OR REPLACE INTO run_epochs (run_id, epoch, metrics) VALUES (?, ?, ?)')
      .run(id, epoch, JSON.stringify(metrics));
  }

  epochs(id: number): EpochRecord[] {
    const rows = this.db.prepare('SELECT epoch, metrics FROM run_epochs WHERE run_id = ? ORDER BY epoch').all(id) as {
      epoch: number;
      metrics: string;
    }[];
    return rows.map((r) => ({ epoch: r.epoch, ...(JSON.parse(r.metrics) as Omit<EpochRecord, 'epoch'>) }));
  }

  saveBatches(id: number, points: readonly BatchPoint[]): void {
    const stmt = this.db.prepare(
      `INSERT OR REPLACE INTO run_batches (run_id, step, epoch, loss, lr, root_loss, vowel_loss, consonant_loss)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const p of points) {
        stmt.run(id, p.step, p.epoch, p.loss, p.lr, p.root ?? null, p.vowel ?? null, p.consonant ?? null);
      }
    })();
  }

  /**
   * Forgets the epochs and batches after a checkpoint (epochs done, optimizer steps): a resume replays
   * them from there, and until it does the record shows what the checkpoint holds.
   */
  dropAfter(id: number, epoch: number, step: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM run_epochs WHERE run_id = ? AND epoch > ?').run(id, epoch);
      this.db.prepare('DELETE FROM run_batches WHERE run_id = ? AND step > ?').run(id, step);
      this.patchSummary(id, { epochsDone: epoch, metrics: this.epochs(id).at(-1)?.val ?? null });
    })();
  }

  batches(id: number): BatchPoint[] {
    return this.db
      .prepare(
        `SELECT step, epoch, loss, lr, root_loss AS root, vowel_loss AS vowel, consonant_loss AS consonant
         FROM run_batches WHERE run_id = ? ORDER BY step`,
      )
      .all(id) as BatchPoint[];
  }

  splitCounts(id: number): { train: number; val: number } {
    const rows = this.db
      .prepare('SELECT split, count(*) AS n FROM run_splits WHERE run_id = ? GROUP BY split')
      .all(id) as { split: 'train' | 'val'; n: number }[];
    const out = { train: 0, val: 0 };
    for (const r of rows) out[r.split] = r.n;
    return out;
  }

  /** A run's images of one split (or both), by id: what the trainer trains, validates or evaluates on. */
  splitImages(id: number, split: 'train' | 'val' | 'all'): number[] {
    const sql =
      split === 'all'
        ? 'SELECT image_id FROM run_splits WHERE run_id = ? ORDER BY image_id'
        : 'SELECT image_id FROM run_splits WHERE run_id = ? AND split = ? ORDER BY image_id';
    const stmt = this.db.prepare(sql).pluck();
    return (split === 'all' ? stmt.all(id) : stmt.all(id, split)) as number[];
  }

  /** How many distinct classes of each component the run's training images carry. */
  classesInTraining(id: number): Record<Component, number> {
    const out = { root: 0, vowel: 0, consonant: 0 };
    for (const c of COMPONENTS) {
      // c comes from a fixed list of column names, never from input.
      out[c] = this.db
        .prepare(
          `SELECT count(DISTINCT l.${c}) FROM run_splits s JOIN labels l ON l.image_id = s.image_id
           WHERE s.run_id = ? AND s.split = 'train' AND l.state = 'labeled'`,
        )
        .pluck()
        .get(id) as number;
    }
    return out;
  }

  /** Labeled images with their source, root and project split (null: not assigned yet), by id. */
  labeledForSplit(): { id: number; source: string; root: number; split: 'train' | 'val' | null }[] {
    return this.db
      .prepare(
        `SELECT i.id, i.source, l.root, s.split FROM images i JOIN labels l ON l.image_id = i.id
         LEFT JOIN splits s ON s.image_id = i.id WHERE l.state = 'labeled' ORDER BY i.id`,
      )
      .all() as { id: number; source: string; root: number; split: 'train' | 'val' | null }[];
  }

  /** Records images' place in the project's split, which later runs keep. */
  assignProjectSplit(split: { train: readonly number[]; val: readonly number[] }): void {
    const assign = this.db.prepare('INSERT OR REPLACE INTO splits (image_id, split) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const id of split.train) assign.run(id, 'train');
      for (const id of split.val) assign.run(id, 'val');
    })();
  }

  /** Deletes a run's rows; epochs, batches, splits and predictions go with it (ON DELETE CASCADE). */
  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0;
  }
}

/**
 * Stored predictions of a run (table `predictions`): full probabilities per
 * image, and what is read from them — confusion against the current labels,
 * suspect labels, suggestions, and the image filters `run`/`pred`/`order`.
 *
 * Layout of `probs`: float32 little-endian, 168 root then 11 vowel then
 * 7 consonant probabilities. `confidence` is the product of the three top-1
 * probabilities: the model's chance that the whole grapheme is right, which
 * orders the active-learning queue (least confident first).
 */
import type { ParsedInput } from '../contract/calls.js';
import { CLASS_COUNTS, COMPONENTS, type Component, type ImagePage } from '../contract/domain.js';
import type { RunConfusion, ScoreScope, Suspect, SuspectComponent } from '../contract/insights.js';
import type { Prediction, TopK } from '../contract/training.js';
import type { DB } from './db.js';
import { SUMMARY_COLUMNS, SUMMARY_FROM, filterClause, toSummary } from './images.js';

const OFFSET: Record<Component, number> = {
  root: 0,
  vowel: CLASS_COUNTS.root,
  consonant: CLASS_COUNTS.root + CLASS_COUNTS.vowel,
};
export const PROBS_LENGTH = CLASS_COUNTS.root + CLASS_COUNTS.vowel + CLASS_COUNTS.consonant;

export function slice(probs: Float32Array, c: Component): Float32Array {
  return probs.subarray(OFFSET[c], OFFSET[c] + CLASS_COUNTS[c]);
}

function argmax(p: Float32Array): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
}

export function topK(p: Float32Array, k: number): TopK[] {
  return Array.from(p, (prob, classId) => ({ classId, prob }))
    .sort((a, b) => b.prob - a.prob || a.classId - b.classId)
    .slice(0, k);
}

/** The k most probable classes of each component, from an image's flat probabilities. */
export function topKPrediction(imageId: number, probs: Float32Array, k: number): Prediction {
  const out = { imageId } as Prediction;
  for (const c of COMPONENTS) out[c] = topK(slice(probs, c), k);
  return out;
}

const toBlob = (p: Float32Array) => Buffer.from(p.buffer, p.byteOffset, p.byteLength);
function fromBlob(b: Buffer): Float32Array {
  // Copy: a Buffer's offset into its pool need not be 4-byte aligned.
  const out = new Float32Array(PROBS_LENGTH);
  new Uint8Array(out.buffer).set(b.subarray(0, PROBS_LENGTH * 4));
  return out;
}

/** Which images of a scope, by SQL over a fixed table of scopes (never interpolated from input). */
const SCOPE_SQL: Record<ScoreScope, string> = {
  val: `SELECT rs.image_id AS id FROM run_splits rs WHERE rs.run_id = @run AND rs.split = 'val'`,
  unlabeled: `SELECT l.image_id AS id FROM labels l WHERE l.state = 'unlabeled'`,
  all: `SELECT i.id FROM images i`,
};

const PRED_COLUMNS: Record<Component, string> = { root: 'p.root', vowel: 'p.vowel', consonant: 'p.consonant' };

type Filter = ParsedInput<'images.ids'>;

export class PredictionStore {
  constructor(private readonly db: DB) {}

  save(runId: number, rows: readonly { imageId: number; probs: Float32Array }[]): void {
    const stmt = this.db.prepare(
      `INSERT OR REPLACE INTO predictions (run_id, image_id, root, vowel, consonant, confidence, probs)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const { imageId, probs } of rows) {
        const top = COMPONENTS.map((c) => argmax(slice(probs, c)));
        const confidence = COMPONENTS.reduce((acc, c, i) => acc * slice(probs, c)[top[i]!]!, 1);
        stmt.run(runId, imageId, top[0], top[1], top[2], confidence, toBlob(probs));
      }
    })();
  }

  /** Forgets a run's predictions (its checkpoint changed). */
  clear(runId: number): void {
    this.db.prepare('DELETE FROM predictions WHERE run_id = ?').run(runId);
  }

  /** Images of the scope, and those of them without a stored prediction. */
  scope(runId: number, scope: ScoreScope): { all: number[]; missing: number[] } {
    const sql = SCOPE_SQL[scope];
    const all = this.db.prepare(`SELECT id FROM (${sql}) ORDER BY id`).pluck().all({ run: runId }) as number[];
    const missing = this.db
      .prepare(
        `SELECT x.id FROM (${sql}) x WHERE NOT EXISTS
           (SELECT 1 FROM predictions p WHERE p.run_id = @run AND p.image_id = x.id) ORDER BY x.id`,
      )
      .pluck()
      .all({ run: runId }) as number[];
    return { all, missing };
  }

  probs(runId: number, imageIds: readonly number[]): Map<number, Float32Array> {
    const get = this.db.prepare('SELECT probs FROM predictions WHERE run_id = ? AND image_id = ?').pluck();
    const out = new Map<number, Float32Array>();
    for (const id of imageIds) {
      const b = get.get(runId, id) as Buffer | null | undefined;
      if (b) out.set(id, fromBlob(b));
    }
    return out;
  }

  suggestions(runId: number, imageIds: readonly number[], k: number): Prediction[] {
    const stored = this.probs(runId, imageIds);
    return imageIds.flatMap((imageId) => {
      const p = stored.get(imageId);
      return p ? [topKPrediction(imageId, p, k)] : [];
    });
  }

  /** Labeled validation images with a stored prediction: predicted vs current label, per component. */
  confusion(runId: number): RunConfusion {
    const rows = this.db
      .prepare(
        `SELECT p.root AS pr, p.vowel AS pv, p.consonant AS pc, l.root AS lr, l.vowel AS lv, l.consonant AS lc
         FROM run_splits rs JOIN predictions p ON p.run_id = rs.run_id AND p.image_id = rs.image_id
         JOIN labels l ON l.image_id = rs.image_id
         WHERE rs.run_id = ? AND rs.split = 'val' AND l.state = 'labeled'`,
      )
      .all(runId) as { pr: number; pv: number; pc: number; lr: number; lv: number; lc: number }[];
    const confusion = {} as RunConfusion['confusion'];
    for (const c of COMPONENTS)
      confusion[c] = Array.from({ length: CLASS_COUNTS[c] }, () => new Array<number>(CLASS_COUNTS[c]).fill(0));
    for (const r of rows) {
      confusion.root[r.lr]![r.pr]!++;
      confusion.vowel[r.lv]![r.pv]!++;
      confusion.consonant[r.lc]![r.pc]!++;
    }
    return { runId, samples: rows.length, confusion };
  }

  /**
   * Labeled validation images whose label the model's top class contradicts,
   * ranked by how far the image pushes the label's probability below the
   * model's prior for that class: ln p(label|x) - ln mean p(label|·). A weak
   * head that spreads its belief (or always says the majority class) barely
   * moves away from its prior, so it does not flood the list; a head that
   * reads the image well and rejects the label does. Training images are
   * never judged: the model learned their labels.
   */
  suspects(runId: number, limit: number): { checked: number; items: Suspect[] } {
    const rows = this.db
      .prepare(
        `SELECT rs.image_id AS id, l.root, l.vowel, l.consonant, p.probs
         FROM run_splits rs JOIN predictions p ON p.run_id = rs.run_id AND p.image_id = rs.image_id
         JOIN labels l ON l.image_id = rs.image_id
         WHERE rs.run_id = ? AND rs.split = 'val' AND l.state = 'labeled'`,
      )
      .all(runId) as { id: number; root: number; vowel: number; consonant: number; probs: Buffer }[];
    const probs = rows.map((r) => fromBlob(r.probs));
    const prior = new Float64Array(PROBS_LENGTH);
    for (const p of probs) for (let i = 0; i < PROBS_LENGTH; i++) prior[i]! += p[i]! / probs.length;
    const EPS = 1e-7;
    const items: Suspect[] = [];
    rows.forEach((r, n) => {
      const doubts: (SuspectComponent & { score: number })[] = [];
      for (const c of COMPONENTS) {
        const p = slice(probs[n]!, c);
        const label = r[c];
        let predicted = -1;
        for (let i = 0; i < p.length; i++) if (i !== label && (predicted < 0 || p[i]! > p[predicted]!)) predicted = i;
        if (p[label]! >= p[predicted]!) continue;
        const labelPrior = prior[OFFSET[c] + label]!;
        const score = Math.log(p[label]! + EPS) - Math.log(labelPrior + EPS);
        doubts.push({
          component: c,
          label,
          labelProb: p[label]!,
          predicted,
          predictedProb: p[predicted]!,
          labelPrior,
          score,
        });
      }
      if (doubts.length === 0) return;
      doubts.sort((a, b) => a.score - b.score);
      items.push({ imageId: r.id, score: doubts[0]!.score, components: doubts.map(({ score: _s, ...d }) => d) });
    });
    items.sort((a, b) => a.score - b.score || a.imageId - b.imageId);
    return { checked: rows.length, items: items.slice(0, limit) };
  }

  private filterSql(filter: Filter): { from: string; where: string; params: Record<string, unknown> } {
    const base = filterClause(filter);
    const params: Record<string, unknown> = { ...base.params, run: filter.run };
    let from = `${SUMMARY_FROM} JOIN predictions p ON p.run_id = @run AND p.image_id = i.id`;
    const clauses = base.where === '1' ? [] : [base.where];
    if (filter.pred) {
      from += ` JOIN run_splits rs ON rs.run_id = @run AND rs.image_id = i.id AND rs.split = 'val'`;
      clauses.push(`${PRED_COLUMNS[filter.pred.component]} = @predClass`);
      params.predClass = filter.pred.cls;
    }
    return { from, where: clauses.length ? clauses.join(' AND ') : '1', params };
  }

  /** images.ids under a run filter: by id, or least confident first. */
  ids(filter: Filter): number[] {
    const { from, where, params } = this.filterSql(filter);
    const order = filter.order === 'uncertainty' ? 'p.confidence, i.id' : 'i.id';
    return this.db.prepare(`SELECT i.id FROM ${from} WHERE ${where} ORDER BY ${order}`).pluck().all(params) as number[];
  }

  /** images.page under a run filter. With order=uncertainty, `after` is the last image of the previous page. */
  page(filter: ParsedInput<'images.page'>): ImagePage {
    const { from, where, params } = this.filterSql(filter);
    const after = filter.after ?? 0;
    let keyset = 'i.id > @after';
    let order = 'i.id';
    if (filter.order === 'uncertainty') {
      order = 'p.confidence, i.id';
      const conf = this.db
        .prepare('SELECT confidence FROM predictions WHERE run_id = ? AND image_id = ?')
        .pluck()
        .get(filter.run, after) as number | undefined;
      keyset = conf === undefined ? '1' : '(p.confidence, i.id) > (@afterConf, @after)';
      params.afterConf = conf ?? null;
    }
    const rows = this.db
      .prepare(`SELECT ${SUMMARY_COLUMNS} FROM ${from} WHERE ${where} AND ${keyset} ORDER BY ${order} LIMIT @limit`)
      .all({ ...params, after, limit: filter.limit + 1 }) as Parameters<typeof toSummary>[0][];
    const more = rows.length > filter.limit;
    if (more) rows.pop();
    const total = this.db.prepare(`SELECT count(*) FROM ${from} WHERE ${where}`).pluck().get(params) as number;
    return { items: rows.map(toSummary), next: more ? rows[rows.length - 1]!.id : null, total };
  }
}

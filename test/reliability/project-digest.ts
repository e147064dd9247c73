/**
 * What "everything stored before is unchanged" means, as a digest: every row
 * of every table family up to the ids that existed when it was taken.
 */
import { createHash } from 'node:crypto';
import type { DB } from '../../src-main/store/db.js';

export interface Marks {
  image: number;
  history: number;
  gesture: number;
}

export function marks(db: DB): Marks {
  const max = (table: string) => db.prepare(`SELECT coalesce(max(id), 0) FROM ${table}`).pluck().get() as number;
  return { image: max('images'), history: max('label_history'), gesture: max('gestures') };
}

const SQL = {
  images: 'SELECT id, image_id, sha256, source, width, height, format FROM images WHERE id <= ? ORDER BY id',
  bytes: 'SELECT image_id, bytes FROM image_bytes WHERE image_id <= ? ORDER BY image_id',
  cache: 'SELECT image_id, size, pixels FROM image_cache WHERE image_id <= ? ORDER BY image_id, size',
  labels: 'SELECT * FROM labels WHERE image_id <= ? ORDER BY image_id',
  history: 'SELECT * FROM label_history WHERE id <= ? ORDER BY id',
  gestures: 'SELECT id, annotator, kind, at FROM gestures WHERE id <= ? ORDER BY id',
};

/** A hash per table family of the rows at or below the marks (labels left out when `labels` is false). */
export function digest(db: DB, m: Marks, withLabels = true): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, sql] of Object.entries(SQL)) {
    if (name === 'labels' && !withLabels) continue;
    const bound = name === 'history' ? m.history : name === 'gestures' ? m.gesture : m.image;
    const h = createHash('sha256');
    for (const row of db.prepare(sql).raw().iterate(bound) as Iterable<unknown[]>) {
      for (const v of row) h.update(v instanceof Buffer ? v : Buffer.from(String(v) + '\u0001'));
      h.update('\u0002');
    }
    out[name] = h.digest('hex').slice(0, 16);
  }
  return out;
}

export function integrity(db: DB): string {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  const fk = db.pragma('foreign_key_check') as unknown[];
  const text = rows.map((r) => r.integrity_check).join('; ');
  return fk.length ? `${text}; ${fk.length} foreign key violation(s)` : text;
}

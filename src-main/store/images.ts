import { inflateRawSync } from 'node:zlib';
import type { ImagePage, ImageSummary, LabelState, Split } from '../contract/domain.js';
import type { ParsedInput } from '../contract/calls.js';
import type { DB } from './db.js';

export interface NewImage {
  imageId: string;
  sha256: Buffer;
  source: string;
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  bytes: Buffer;
  /** The preprocessed tensor, deflate-raw compressed; without it the trainer derives it from the bytes. */
  cacheSize?: number;
  cache?: Uint8Array;
}

export type InsertOutcome =
  { kind: 'inserted'; id: number } | { kind: 'duplicate'; id: number } | { kind: 'name-taken' };

interface Row {
  id: number;
  image_id: string;
  source: string;
  width: number;
  height: number;
  state: LabelState;
  root: number | null;
  vowel: number | null;
  consonant: number | null;
  annotator: string | null;
  updated_at: number | null;
  split: Split | null;
}

export const SUMMARY_COLUMNS = `i.id, i.image_id, i.source, i.width, i.height, l.state, l.root, l.vowel, l.consonant,
  l.annotator, l.updated_at, s.split`;
export const SUMMARY_FROM = `images i JOIN labels l ON l.image_id = i.id LEFT JOIN splits s ON s.image_id = i.id`;

export function toSummary(r: Row): ImageSummary {
  return {
    id: r.id,
    imageId: r.image_id,
    source: r.source,
    width: r.width,
    height: r.height,
    state: r.state,
    root: r.root,
    vowel: r.vowel,
    consonant: r.consonant,
    annotator: r.annotator,
    updatedAt: r.updated_at,
    split: r.split,
  };
}

export class ImageStore {
  private readonly bySha;
  private readonly byName;
  private readonly insertImage;
  private readonly insertBytes;
  private readonly insertCache;
  private readonly insertLabel;
  private readonly getOne;
  private readonly bytesIn;

  constructor(private readonly db: DB) {
    this.bySha = db.prepare('SELECT id FROM images WHERE sha256 = ?').pluck();
    this.byName = db.prepare('SELECT id FROM images WHERE image_id = ?').pluck();
    this.insertImage = db.prepare(
      `INSERT INTO images (image_id, sha256, source, width, height, format, created_at)
       VALUES (@imageId, @sha256, @source, @width, @height, @format, @createdAt)`,
    );
    this.insertBytes = db.prepare('INSERT INTO image_bytes (image_id, bytes) VALUES (?, ?)');
    this.insertCache = db.prepare('INSERT OR REPLACE INTO image_cache (image_id, size, pixels) VALUES (?, ?, ?)');
    this.insertLabel = db.prepare(`INSERT INTO labels (image_id) VALUES (?)`);
    this.getOne = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM ${SUMMARY_FROM} WHERE i.id = ?`);
    this.bytesIn = db.prepare(
      'SELECT image_id, bytes FROM image_bytes WHERE image_id IN (SELECT value FROM json_each(?))',
    );
  }

  /** Inserts one image unless its content or its name is already stored. Call inside a transaction. */
  insert(img: NewImage, now = Date.now()): InsertOutcome {
    const dup = this.bySha.get(img.sha256) as number | undefined;
    if (dup !== undefined) return { kind: 'duplicate', id: dup };
    if (this.byName.get(img.imageId) !== undefined) return { kind: 'name-taken' };
    const id = Number(this.insertImage.run({ ...img, createdAt: now }).lastInsertRowid);
    this.insertBytes.run(id, img.bytes);
    const { cache } = img;
    if (cache) this.insertCache.run(id, img.cacheSize, Buffer.from(cache.buffer, cache.byteOffset, cache.byteLength));
    this.insertLabel.run(id);
    return { kind: 'inserted', id };
  }

  idByName(imageId: string): number | undefined {
    return this.byName.get(imageId) as number | undefined;
  }

  get(id: number): ImageSummary | undefined {
    const row = this.getOne.get(id) as Row | undefined;
    return row && toSummary(row);
  }

  /** The preprocessed size x size tensor of an image (ink bright), or undefined if not cached. */
  cached(id: number, size: number): Uint8Array | undefined {
    const row = this.db
      .prepare('SELECT pixels FROM image_cache WHERE image_id = ? AND size = ?')
      .pluck()
      .get(id, size) as Buffer | undefined;
    return row && new Uint8Array(inflateRawSync(row));
  }

  bytes(id: number): { bytes: Buffer; format: string } | undefined {
    return this.db
      .prepare('SELECT b.bytes, i.format FROM image_bytes b JOIN images i ON i.id = b.image_id WHERE b.image_id = ?')
      .get(id) as { bytes: Buffer; format: string } | undefined;
  }

  /** The stored files of many images in one query (a contact sheet's); ids not stored are absent. */
  bytesOf(ids: number[]): Map<number, Buffer> {
    const rows = this.bytesIn.all(JSON.stringify(ids)) as { image_id: number; bytes: Buffer }[];
    return new Map(rows.map((r) => [r.image_id, r.bytes]));
  }

  /** Every image id matching a filter, ascending (for grids that jump to any position). */
  ids(filter: ParsedInput<'images.ids'>): number[] {
    const { where, params } = filterClause(filter);
    return this.db
      .prepare(`SELECT i.id FROM ${SUMMARY_FROM} WHERE ${where} ORDER BY l.image_id`)
      .pluck()
      .all(params) as number[];
  }

  /**
   * One page of images matching a filter, by ascending id (keyset pagination).
   * Ordered by l.image_id, not i.id: the filter's index then yields rows in order and SQLite skips a sort.
   */
  page(filter: ParsedInput<'images.page'>): ImagePage {
    const { where, params } = filterClause(filter);
    const rows = this.db
      .prepare(
        `SELECT ${SUMMARY_COLUMNS} FROM ${SUMMARY_FROM} WHERE ${where} AND l.image_id > @after ORDER BY l.image_id LIMIT @limit`,
      )
      .all({ ...params, after: filter.after ?? 0, limit: filter.limit + 1 }) as Row[];
    const more = rows.length > filter.limit;
    if (more) rows.pop();
    return {
      items: rows.map(toSummary),
      next: more ? rows[rows.length - 1]!.id : null,
      total: this.count(filter, where, params),
    };
  }

  /**
   * Images matching a filter. State-only (and no) filters read the trigger-kept
   * counters; class filters count one index range.
   */
  private count(filter: ImageFilter, where: string, params: Record<string, unknown>): number {
    const keys = FILTER_KEYS.filter((k) => filter[k] !== undefined);
    if (keys.length === 0)
      return (this.db.prepare('SELECT sum(n) FROM label_counts').pluck().get() as number | null) ?? 0;
    if (keys.length === 1 && keys[0] === 'state') {
      return (
        (this.db.prepare('SELECT n FROM label_counts WHERE state = ?').pluck().get(filter.state) as
          number | undefined) ?? 0
      );
    }
    const from = filter.split !== undefined ? 'labels l JOIN splits s ON s.image_id = l.image_id' : 'labels l';
    return this.db.prepare(`SELECT count(*) FROM ${from} WHERE ${where}`).pluck().get(params) as number;
  }
}

type ImageFilter = ParsedInput<'images.ids'>;
const FILTER_COLUMNS = {
  state: 'l.state',
  root: 'l.root',
  vowel: 'l.vowel',
  consonant: 'l.consonant',
  annotator: 'l.annotator',
  split: 's.split',
} as const;
const FILTER_KEYS = Object.keys(FILTER_COLUMNS) as (keyof typeof FILTER_COLUMNS)[];

/** The WHERE clause and named parameters of a filter; column names come from a fixed table, values are bound. */
export function filterClause(filter: ImageFilter): { where: string; params: Record<string, unknown> } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  for (const key of FILTER_KEYS) {
    if (filter[key] === undefined) continue;
    clauses.push(`${FILTER_COLUMNS[key]} = @${key}`);
    params[key] = filter[key];
  }
  return { where: clauses.length ? clauses.join(' AND ') : '1', params };
}

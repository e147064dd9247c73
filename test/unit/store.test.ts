import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-main/store/db.js';
import { SCHEMA_VERSION } from '../../src-main/store/migrations/index.js';
import { Project } from '../../src-main/store/project.js';
import { SUMMARY_COLUMNS, SUMMARY_FROM } from '../../src-main/store/images.js';
import { composeGrapheme, readClassMap } from '../../src-main/store/taxonomy.js';
import { tempDir } from '../helpers.js';

function addImages(project: Project, n: number): number[] {
  const ids: number[] = [];
  project.db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const outcome = project.images.insert({
        imageId: `img_${i}`,
        sha256: createHash('sha256').update(`img_${i}`).digest(),
        source: 'test',
        width: 2,
        height: 2,
        format: 'png',
        bytes: Buffer.from([1, 2, 3]),
        cacheSize: 8,
        cache: new Uint8Array(4),
      });
      if (outcome.kind === 'inserted') ids.push(outcome.id);
    }
  })();
  return ids;
}

const label = (imageId: number, root: number, vowel = 0, consonant = 0) => ({
  imageId,
  state: 'labeled' as const,
  root,
  vowel,
  consonant,
});

describe('database file', () => {
  it('is created with WAL, foreign keys, strict tables and the current schema version', () => {
    const file = join(tempDir(), 'p.sqlite');
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const strict = db
      .prepare(`SELECT name FROM pragma_table_list WHERE schema = 'main' AND strict = 0 AND name NOT LIKE 'sqlite_%'`)
      .all();
    expect(strict).toEqual([]);
    expect(() => db.prepare(`INSERT INTO labels (image_id, state) VALUES (999, 'labeled')`).run()).toThrow();
    db.close();
  });

  it('refuses a database written by a newer version and leaves it untouched', () => {
    const file = join(tempDir(), 'future.sqlite');
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.exec('CREATE TABLE t (x INTEGER)');
    raw.close();
    expect(() => openDatabase(file)).toThrow(/newer Grapheme Studio/);
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    check.close();
  });

  it('rolls back a failing migration as a whole', () => {
    const file = join(tempDir(), 'half.sqlite');
    const raw = new Database(file);
    raw.exec('CREATE TABLE images (x INTEGER)'); // collides with migration 1
    raw.close();
    expect(() => openDatabase(file)).toThrow(/already exists/);
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(0);
    expect(check.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE name = 'labels'`).get()).toEqual({ n: 0 });
    check.close();
  });

  it('reports a file that is not a database by name', () => {
    const dir = tempDir();
    const file = join(dir, 'notes.sqlite');
    writeFileSync(file, 'this is not sqlite, just some text that is long enough to be a header.....');
    expect(() => new Project(file)).toThrow(/notes\.sqlite/);
  });
});

describe('taxonomy', () => {
  it('has 168 roots, 11 vowels and 7 consonants, seeded once', () => {
    const t = readClassMap();
    expect([t.root.length, t.vowel.length, t.consonant.length]).toEqual([168, 11, 7]);
    const p = new Project(join(tempDir(), 'p.sqlite'));
    expect(p.taxonomy.root[13]!.glyph).toBe('ক');
    expect(p.taxonomy.vowel[0]!.glyph).toBe('');
    p.close();
  });

  it('composes graphemes in Bengali order', () => {
    const t = readClassMap();
    expect(composeGrapheme(t, 13, 2, 5)).toBe('ক্রি'); // root ক, vowel ি, ra-phala
    expect(composeGrapheme(t, 64, 7, 2)).toBe('র্তে'); // reph before the root
    expect(composeGrapheme(t, 13, 1, 1)).toBe('কাঁ'); // candrabindu last
  });
});

describe('labels', () => {
  it('writes current value and history, and skips writes that change nothing', () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    const [a] = addImages(p, 1) as [number];
    expect(p.labels.apply([label(a, 5)], 'ann', 'edit')).toEqual([a]);
    expect(p.labels.apply([label(a, 5)], 'ann', 'edit')).toEqual([]);
    const h = p.labels.historyOf(a);
    expect(h).toHaveLength(1);
    expect(h[0]!.before.state).toBe('unlabeled');
    expect(h[0]!.after).toEqual({ state: 'labeled', root: 5, vowel: 0, consonant: 0 });
    expect(() => p.db.prepare('UPDATE label_history SET annotator = ?').run('x')).toThrow(/append-only/);
    p.close();
  });

  it('undoes and redoes gestures per annotator, across a restart', () => {
    const file = join(tempDir(), 'p.sqlite');
    let p = new Project(file);
    const [a, b] = addImages(p, 2) as [number, number];
    p.labels.apply([label(a, 1)], 'ann', 'edit');
    p.labels.apply([label(b, 2)], 'ann', 'edit');
    p.labels.apply([label(a, 9)], 'other', 'edit');
    p.close();

    p = new Project(file);
    expect(p.labels.undo('ann')).toEqual([b]);
    expect(p.images.get(b)!.state).toBe('unlabeled');
    expect(p.images.get(a)!.root).toBe(9); // the other annotator's write stays
    p.close();

    p = new Project(file);
    expect(p.labels.redo('ann')).toEqual([b]);
    expect(p.images.get(b)!.root).toBe(2);
    expect(p.labels.canRedo('ann')).toBe(false);
    // A new edit after an undo drops the redo branch.
    p.labels.undo('ann');
    p.labels.apply([label(b, 7)], 'ann', 'edit');
    expect(p.labels.redo('ann')).toEqual([]);
    expect(p.images.get(b)!.root).toBe(7);
    // Undo twice walks back through both remaining gestures.
    expect(p.labels.undo('ann')).toEqual([b]);
    expect(p.labels.undo('ann')).toEqual([]); // the gesture on a is spent, but a belongs to 'other' now
    // The other annotator relabeled a since ann's gesture: undo leaves their write in place.
    expect(p.images.get(a)).toMatchObject({ state: 'labeled', root: 9, annotator: 'other' });
    expect(p.labels.historyOf(a).map((e) => `${e.annotator}:${e.kind}:${e.after.root}`)).toEqual([
      'ann:edit:1',
      'other:edit:9',
    ]);
    expect(p.labels.historyOf(b).map((e) => e.kind)).toEqual(['edit', 'undo', 'redo', 'undo', 'edit', 'undo']);
    p.close();
  });

  it('treats a multi-image write as one undo step', () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    const ids = addImages(p, 5);
    p.labels.apply(
      ids.map((id) => label(id, 3)),
      'ann',
      'edit',
    );
    expect(p.labels.undo('ann').sort()).toEqual([...ids].sort());
    expect(ids.every((id) => p.images.get(id)!.state === 'unlabeled')).toBe(true);
    p.close();
  });

  it('counts per state and per class', () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    const [a, b, c] = addImages(p, 4) as [number, number, number];
    p.labels.apply([label(a, 3, 1, 2), label(b, 3, 0, 0)], 'ann', 'edit');
    p.labels.apply([{ imageId: c, state: 'unreadable', root: null, vowel: null, consonant: null }], 'ann', 'edit');
    const s = p.labels.stats();
    expect([s.images, s.labeled, s.unlabeled, s.unreadable]).toEqual([4, 2, 1, 1]);
    expect(s.classCounts.root[3]).toBe(2);
    expect(s.classCounts.vowel.slice(0, 2)).toEqual([1, 1]);
    expect(s.classCounts.consonant[2]).toBe(1);
    p.close();
  });
});

describe('image pages', () => {
  it('filters by state and class with keyset pagination', () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    const ids = addImages(p, 30);
    p.labels.apply(
      ids.slice(0, 10).map((id) => label(id, 4)),
      'ann',
      'edit',
    );
    const first = p.images.page({ state: 'unlabeled', limit: 15 });
    expect(first.total).toBe(20);
    expect(first.items).toHaveLength(15);
    expect(first.items[0]!.id).toBe(ids[10]);
    const second = p.images.page({ state: 'unlabeled', limit: 15, after: first.next! });
    expect(second.items).toHaveLength(5);
    expect(second.next).toBeNull();
    expect(p.images.page({ root: 4, limit: 200 }).items.map((i) => i.id)).toEqual(ids.slice(0, 10));
    expect(p.images.page({ annotator: 'ann', limit: 200 }).total).toBe(10);
    p.close();
  });

  it('uses an index for every filter', () => {
    const p = new Project(join(tempDir(), 'p.sqlite'));
    for (const col of ['state', 'root', 'vowel', 'consonant', 'annotator']) {
      const plan = p.db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT ${SUMMARY_COLUMNS} FROM ${SUMMARY_FROM} WHERE l.${col} = ? AND l.image_id > 0 ORDER BY l.image_id LIMIT 10`,
        )
        .all('x') as { detail: string }[];
      const details = plan.map((r) => r.detail).join(' | ');
      expect(details).toMatch(new RegExp(`USING (COVERING )?INDEX labels_${col}`));
      expect(details).not.toContain('TEMP B-TREE');
    }
    p.close();
  });
});

describe('background checkpoints', () => {
  it('fold label writes into the database file from a worker thread, not the writing connection', async () => {
    const file = join(tempDir(), 'p.sqlite');
    const p = new Project(file);
    const ids = addImages(p, 20);
    p.db.pragma('wal_checkpoint(TRUNCATE)');
    p.startBackgroundCheckpoints(200);
    expect(p.db.pragma('wal_autocheckpoint', { simple: true })).toBe(8000);
    const before = statSync(file).mtimeMs;
    await new Promise((r) => setTimeout(r, 50));
    for (const id of ids) p.labels.apply([label(id, 7)], 'ann', 'edit');
    // The writes sit in the WAL; only a checkpoint changes the database file itself.
    const deadline = Date.now() + 5_000;
    while (statSync(file).mtimeMs === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(file).mtimeMs).toBeGreaterThan(before);
    p.close();
  });
});

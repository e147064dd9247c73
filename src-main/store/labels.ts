import type { Component, LabelState, LabelValue, Stats } from '../contract/domain.js';
import { CLASS_COUNTS, COMPONENTS } from '../contract/domain.js';
import type { LabelHistoryEntry } from '../contract/calls.js';
import { AppError } from '../contract/envelope.js';
import type { DB } from './db.js';

type HistoryKind = 'edit' | 'undo' | 'redo' | 'import';

interface CurrentRow {
  state: LabelState;
  root: number | null;
  vowel: number | null;
  consonant: number | null;
  grapheme: string | null;
}

export interface LabelChange extends LabelValue {
  imageId: number;
  /** Grapheme text from an imported CSV, kept for an exact export. */
  grapheme?: string | null;
}

function same(a: LabelValue, b: LabelValue): boolean {
  return a.state === b.state && a.root === b.root && a.vowel === b.vowel && a.consonant === b.consonant;
}

/**
 * Current labels plus their append-only history. Every write is one gesture
 * (the unit of undo); undo and redo replay the history, so they survive a
 * restart and never lose the other annotator's writes (they become history).
 */
export class LabelStore {
  private readonly current;
  private readonly update;
  private readonly history;
  private readonly newGesture;
  private readonly dropRedo;

  constructor(private readonly db: DB) {
    this.current = db.prepare('SELECT state, root, vowel, consonant, grapheme FROM labels WHERE image_id = ?');
    this.update = db.prepare(
      `UPDATE labels SET state = @state, root = @root, vowel = @vowel, consonant = @consonant,
         grapheme = @grapheme, annotator = @annotator, updated_at = @at WHERE image_id = @imageId`,
    );
    this.history = db.prepare(
      `INSERT INTO label_history (gesture_id, image_id, kind, annotator, at,
         before_state, before_root, before_vowel, before_consonant,
         after_state, after_root, after_vowel, after_consonant)
       VALUES (@gesture, @imageId, @kind, @annotator, @at,
         @bState, @bRoot, @bVowel, @bConsonant, @state, @root, @vowel, @consonant)`,
    );
    this.newGesture = db.prepare('INSERT INTO gestures (annotator, kind, at) VALUES (?, ?, ?)');
    this.dropRedo = db.prepare(
      `UPDATE gestures SET state = 'dropped' WHERE annotator = ? AND kind = 'edit' AND state = 'undone'`,
    );
  }

  /**
   * Applies label changes as one gesture in one transaction. Unchanged labels
   * write nothing (re-importing a CSV is a no-op). Returns the images changed.
   */
  apply(changes: LabelChange[], annotator: string, kind: 'edit' | 'import', at = Date.now()): number[] {
    const run = this.db.transaction(() => {
      let gesture: number | null = null;
      const changed: number[] = [];
      for (const c of changes) {
        const cur = this.current.get(c.imageId) as CurrentRow | undefined;
        if (!cur) throw new AppError('not_found', `Image ${c.imageId} does not exist.`);
        if (same(cur, c) && (c.grapheme === undefined || c.grapheme === cur.grapheme)) continue;
        if (gesture === null) {
          if (kind === 'edit') this.dropRedo.run(annotator);
          gesture = Number(this.newGesture.run(annotator, kind, at).lastInsertRowid);
        }
        this.write(gesture, c.imageId, cur, c, annotator, kind, at, c.grapheme);
        changed.push(c.imageId);
      }
      return changed;
    });
    return run.immediate();
  }

  private write(
    gesture: number,
    imageId: number,
    before: LabelValue,
    after: LabelValue,
    annotator: string,
    kind: HistoryKind,
    at: number,
    grapheme: string | null | undefined,
  ): void {
    const row = { imageId, state: after.state, root: after.root, vowel: after.vowel, consonant: after.consonant };
    this.update.run({ ...row, grapheme: grapheme ?? null, annotator, at });
    this.history.run({
      ...row,
      gesture,
      kind,
      annotator,
      at,
      bState: before.state,
      bRoot: before.root,
      bVowel: before.vowel,
      bConsonant: before.consonant,
    });
  }

  /** Who made the latest label edit (not an import), to suggest the name again after a restart. */
  lastEditor(): string | null {
    const row = this.db
      .prepare(`SELECT annotator FROM gestures WHERE kind = 'edit' ORDER BY id DESC LIMIT 1`)
      .pluck()
      .get();
    return typeof row === 'string' ? row : null;
  }

  /**
   * Reverts this annotator's latest edit gesture that is not yet undone.
   * Images another annotator (or a later import) has changed since are left
   * as they are: undo never silently discards someone else's write.
   */
  undo(annotator: string, at = Date.now()): number[] {
    return this.replay(annotator, 'undo', at);
  }

  /** Re-applies the gesture most recently undone, unless a new edit came after it. */
  redo(annotator: string, at = Date.now()): number[] {
    return this.replay(annotator, 'redo', at);
  }

  private replay(annotator: string, direction: 'undo' | 'redo', at: number): number[] {
    const run = this.db.transaction(() => {
      const gesture = this.db
        .prepare(
          direction === 'undo'
            ? `SELECT id FROM gestures WHERE annotator = ? AND kind = 'edit' AND state = 'done' ORDER BY id DESC LIMIT 1`
            : `SELECT id FROM gestures WHERE annotator = ? AND kind = 'edit' AND state = 'undone' ORDER BY id ASC LIMIT 1`,
        )
        .pluck()
        .get(annotator) as number | undefined;
      if (gesture === undefined) return [];
      const rows = this.db
        .prepare(
          `SELECT image_id, before_state, before_root, before_vowel, before_consonant,
             after_state, after_root, after_vowel, after_consonant
           FROM label_history WHERE gesture_id = ? AND kind = 'edit' ORDER BY id`,
        )
        .all(gesture) as Record<string, number | string | null>[];
      const changed: number[] = [];
      const side = (name: 'before' | 'after', r: Record<string, number | string | null>): LabelValue => ({
        state: r[`${name}_state`] as LabelState,
        root: r[`${name}_root`] as number | null,
        vowel: r[`${name}_vowel`] as number | null,
        consonant: r[`${name}_consonant`] as number | null,
      });
      for (const r of rows) {
        const imageId = r.image_id as number;
        const [from, to] = direction === 'undo' ? (['after', 'before'] as const) : (['before', 'after'] as const);
        const cur = this.current.get(imageId) as CurrentRow | undefined;
        // Someone changed this image since the gesture: their label stands (last write wins), undo skips it.
        if (!cur || !same(cur, side(from, r))) continue;
        this.write(gesture, imageId, cur, side(to, r), annotator, direction, at, null);
        changed.push(imageId);
      }
      this.db
        .prepare('UPDATE gestures SET state = ? WHERE id = ?')
        .run(direction === 'undo' ? 'undone' : 'done', gesture);
      return changed;
    });
    return run.immediate();
  }

  canUndo(annotator: string): boolean {
    return this.hasGesture(annotator, 'done');
  }

  canRedo(annotator: string): boolean {
    return this.hasGesture(annotator, 'undone');
  }

  private hasGesture(annotator: string, state: 'done' | 'undone'): boolean {
    return (
      this.db
        .prepare(`SELECT 1 FROM gestures WHERE annotator = ? AND kind = 'edit' AND state = ? LIMIT 1`)
        .get(annotator, state) !== undefined
    );
  }

  historyOf(imageId: number): LabelHistoryEntry[] {
    const rows = this.db.prepare('SELECT * FROM label_history WHERE image_id = ? ORDER BY id').all(imageId) as Record<
      string,
      number | string | null
    >[];
    return rows.map((r) => ({
      id: r.id as number,
      at: r.at as number,
      annotator: r.annotator as string,
      kind: r.kind as HistoryKind,
      before: {
        state: r.before_state as string,
        root: r.before_root as number | null,
        vowel: r.before_vowel as number | null,
        consonant: r.before_consonant as number | null,
      },
      after: {
        state: r.after_state as string,
        root: r.after_root as number | null,
        vowel: r.after_vowel as number | null,
        consonant: r.after_consonant as number | null,
      },
    }));
  }

  stats(): Stats {
    const byState = this.db.prepare('SELECT state, count(*) AS n FROM labels GROUP BY state').all() as {
      state: LabelState;
      n: number;
    }[];
    const counts = Object.fromEntries(byState.map((r) => [r.state, r.n])) as Partial<Record<LabelState, number>>;
    const classCounts = {} as Record<Component, number[]>;
    for (const c of COMPONENTS) {
      const arr = new Array<number>(CLASS_COUNTS[c]).fill(0);
      const rows = this.db
        .prepare(`SELECT ${c} AS k, count(*) AS n FROM labels WHERE state = 'labeled' GROUP BY ${c}`)
        .all() as { k: number; n: number }[];
      for (const r of rows) arr[r.k] = r.n;
      classCounts[c] = arr;
    }
    const labeled = counts.labeled ?? 0;
    const unlabeled = counts.unlabeled ?? 0;
    const unreadable = counts.unreadable ?? 0;
    const skipped = counts.skipped ?? 0;
    return { images: labeled + unlabeled + unreadable + skipped, labeled, unlabeled, unreadable, skipped, classCounts };
  }
}

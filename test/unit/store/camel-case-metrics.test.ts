/** Migration 4: runs stored with snake_case metric keys read back in the contract's camelCase. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src-main/store/migrations/index.js';
import { renameMetricKeys } from '../../../src-main/store/migrations/0004-camel-case-metrics.js';
import { Project } from '../../../src-main/store/project.js';
import { tempDir } from '../../helpers.js';

const head = (loss: number, accuracy: number, recall: number) => ({ loss, accuracy, macro_recall: recall });
/** Validation metrics as schema 3 stored them. */
const oldVal = {
  samples: 81,
  loss: 3.5,
  hierarchical_recall: 0.29,
  root: head(2, 0.1, 0.097),
  vowel: head(0.9, 0.6, 0.538),
  consonant: head(0.6, 0.7, 0.434),
};
// A string value that spells an old key must stay as it is: only keys are renamed.
const reason = 'picked wasm; "macro_recall": is a key, not this text';

function writeSchema3(file: string): void {
  const db = new Database(file);
  db.transaction(() => {
    for (const sql of MIGRATIONS.slice(0, 3)) db.exec(sql);
    db.pragma('user_version = 3');
  })();
  db.prepare(`INSERT INTO runs (id, created_at, status, config, summary) VALUES (1, 1, 'done', '{}', ?)`).run(
    JSON.stringify({ epochsDone: 2, metrics: oldVal, engineReason: reason }),
  );
  db.prepare(`INSERT INTO runs (id, created_at, status, config, summary) VALUES (2, 2, 'failed', '{}', ?)`).run(
    JSON.stringify({ metrics: null }),
  );
  const epoch = db.prepare('INSERT INTO run_epochs (run_id, epoch, metrics) VALUES (1, ?, ?)');
  epoch.run(1, JSON.stringify({ trainLoss: 4, lr: 0.001, seconds: 9, imagesPerSec: 40, val: null, confusion: null }));
  epoch.run(
    2,
    JSON.stringify({ trainLoss: 3, lr: 0.0005, seconds: 9, imagesPerSec: 41, val: oldVal, confusion: null }),
  );
  db.close();
}

describe('migration 4: camelCase metric keys', () => {
  it('rewrites the metrics of runs stored with the old keys, and nothing else', () => {
    const file = join(tempDir(), 'schema3.sqlite');
    writeSchema3(file);
    const project = new Project(file);
    try {
      expect(project.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const run = project.runs.get(1)!;
      const want = {
        samples: 81,
        loss: 3.5,
        hierarchicalRecall: 0.29,
        root: { loss: 2, accuracy: 0.1, macroRecall: 0.097 },
        vowel: { loss: 0.9, accuracy: 0.6, macroRecall: 0.538 },
        consonant: { loss: 0.6, accuracy: 0.7, macroRecall: 0.434 },
      };
      expect(run.summary).toEqual({ epochsDone: 2, metrics: want, engineReason: reason });
      expect(project.runs.get(2)!.summary).toEqual({ metrics: null });
      const epochs = project.runs.epochs(1);
      expect(epochs.map((e) => e.val)).toEqual([null, want]);
      expect(epochs[1]).toMatchObject({ epoch: 2, trainLoss: 3, lr: 0.0005, imagesPerSec: 41 });
      const raw = project.db.prepare('SELECT summary AS s FROM runs UNION ALL SELECT metrics FROM run_epochs').pluck();
      for (const text of raw.all() as string[])
        expect(text.replace(reason.replace(/"/g, '\\"'), '')).not.toMatch(/_recall/);
    } finally {
      project.close();
    }
  });

  it('renames keys at any depth in JSON text, never a string value', () => {
    const text = JSON.stringify({
      a: [{ macro_recall: 1 }],
      b: { c: { hierarchical_recall: 2 } },
      s: '"macro_recall":',
    });
    expect(JSON.parse(renameMetricKeys(text))).toEqual({
      a: [{ macroRecall: 1 }],
      b: { c: { hierarchicalRecall: 2 } },
      s: '"macro_recall":',
    });
  });
});

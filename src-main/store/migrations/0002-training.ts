/** Schema 2: what training needs beyond schema 1 — per-run splits, per-batch losses, checkpoint folder. */
export default `
ALTER TABLE runs ADD COLUMN checkpoint TEXT;

-- The exact split a run trained on: resume and eval use it even after labels or the project split change.
CREATE TABLE run_splits (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  split TEXT NOT NULL CHECK (split IN ('train', 'val')),
  PRIMARY KEY (run_id, image_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX run_splits_split ON run_splits (run_id, split, image_id);

-- Every optimizer step's loss, for the live chart and the run record.
CREATE TABLE run_batches (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  loss REAL NOT NULL,
  lr REAL NOT NULL,
  PRIMARY KEY (run_id, step)
) STRICT, WITHOUT ROWID;
`;

/** Schema 1: taxonomy, images, training cache, labels with history, splits, runs. */
export default `
CREATE TABLE taxonomy (
  component TEXT NOT NULL CHECK (component IN ('root', 'vowel', 'consonant')),
  id INTEGER NOT NULL CHECK (id >= 0),
  glyph TEXT NOT NULL,
  PRIMARY KEY (component, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE images (
  id INTEGER PRIMARY KEY,
  image_id TEXT NOT NULL UNIQUE,
  sha256 BLOB NOT NULL UNIQUE,
  source TEXT NOT NULL,
  width INTEGER NOT NULL CHECK (width > 0),
  height INTEGER NOT NULL CHECK (height > 0),
  format TEXT NOT NULL CHECK (format IN ('png', 'jpeg')),
  created_at INTEGER NOT NULL
) STRICT;

-- Original bytes apart from the metadata so that scans of images stay small.
CREATE TABLE image_bytes (
  image_id INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
  bytes BLOB NOT NULL
) STRICT;

-- Preprocessed square uint8 tensors (ink bright, background 0) for training, deflate-raw compressed.
CREATE TABLE image_cache (
  image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  size INTEGER NOT NULL CHECK (size BETWEEN 8 AND 512),
  pixels BLOB NOT NULL,
  PRIMARY KEY (image_id, size)
) STRICT; -- a rowid table: WITHOUT ROWID would spill these 2 KB rows to half-empty pages

-- One row per image, created with it: keeps every filter an index lookup.
CREATE TABLE labels (
  image_id INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
  state TEXT NOT NULL DEFAULT 'unlabeled' CHECK (state IN ('unlabeled', 'labeled', 'unreadable', 'skipped')),
  root INTEGER CHECK (root BETWEEN 0 AND 167),
  vowel INTEGER CHECK (vowel BETWEEN 0 AND 10),
  consonant INTEGER CHECK (consonant BETWEEN 0 AND 6),
  -- The grapheme text a label CSV gave, kept so an export reproduces it exactly.
  grapheme TEXT,
  annotator TEXT,
  updated_at INTEGER,
  CHECK (state <> 'labeled' OR (root IS NOT NULL AND vowel IS NOT NULL AND consonant IS NOT NULL))
) STRICT;
CREATE INDEX labels_state ON labels (state, image_id);
CREATE INDEX labels_root ON labels (root, image_id);
CREATE INDEX labels_vowel ON labels (vowel, image_id);
CREATE INDEX labels_consonant ON labels (consonant, image_id);
CREATE INDEX labels_annotator ON labels (annotator, image_id);

-- Images per label state, kept by triggers: the queue's counts without a 200,000-row count(*).
CREATE TABLE label_counts (
  state TEXT PRIMARY KEY,
  n INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO label_counts (state, n) VALUES ('unlabeled', 0), ('labeled', 0), ('unreadable', 0), ('skipped', 0);
CREATE TRIGGER labels_count_insert AFTER INSERT ON labels
BEGIN UPDATE label_counts SET n = n + 1 WHERE state = NEW.state; END;
CREATE TRIGGER labels_count_delete AFTER DELETE ON labels
BEGIN UPDATE label_counts SET n = n - 1 WHERE state = OLD.state; END;
CREATE TRIGGER labels_count_update AFTER UPDATE OF state ON labels WHEN OLD.state <> NEW.state
BEGIN
  UPDATE label_counts SET n = n - 1 WHERE state = OLD.state;
  UPDATE label_counts SET n = n + 1 WHERE state = NEW.state;
END;

-- One user gesture (a save, a multi-select edit, an import): the unit of undo.
CREATE TABLE gestures (
  id INTEGER PRIMARY KEY,
  annotator TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('edit', 'import')),
  state TEXT NOT NULL DEFAULT 'done' CHECK (state IN ('done', 'undone', 'dropped')),
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX gestures_annotator ON gestures (annotator, kind, state, id);

-- Append-only: every change of a label, with what it was before.
CREATE TABLE label_history (
  id INTEGER PRIMARY KEY,
  gesture_id INTEGER NOT NULL REFERENCES gestures (id),
  image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('edit', 'undo', 'redo', 'import')),
  annotator TEXT NOT NULL,
  at INTEGER NOT NULL,
  before_state TEXT NOT NULL,
  before_root INTEGER,
  before_vowel INTEGER,
  before_consonant INTEGER,
  after_state TEXT NOT NULL,
  after_root INTEGER,
  after_vowel INTEGER,
  after_consonant INTEGER
) STRICT;
CREATE INDEX label_history_image ON label_history (image_id, id);
CREATE INDEX label_history_gesture ON label_history (gesture_id);
CREATE TRIGGER label_history_append_only_update BEFORE UPDATE ON label_history
BEGIN SELECT RAISE(ABORT, 'label_history is append-only'); END;

CREATE TABLE splits (
  image_id INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
  split TEXT NOT NULL CHECK (split IN ('train', 'val'))
) STRICT;
CREATE INDEX splits_split ON splits (split, image_id);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'stopped', 'done', 'failed')),
  config TEXT NOT NULL,
  engine TEXT,
  device TEXT,
  error TEXT,
  summary TEXT
) STRICT;

CREATE TABLE run_epochs (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  metrics TEXT NOT NULL,
  PRIMARY KEY (run_id, epoch)
) STRICT, WITHOUT ROWID;

CREATE TABLE predictions (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  root INTEGER NOT NULL,
  vowel INTEGER NOT NULL,
  consonant INTEGER NOT NULL,
  confidence REAL NOT NULL,
  probs BLOB,
  PRIMARY KEY (run_id, image_id)
) STRICT, WITHOUT ROWID;
`;

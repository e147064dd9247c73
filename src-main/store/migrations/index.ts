import initial from './0001-initial.js';
import training from './0002-training.js';
import batchHeads from './0003-batch-heads.js';

/** Numbered migrations; index + 1 is the schema version each one produces. */
export const MIGRATIONS: readonly string[] = [initial, training, batchHeads];
export const SCHEMA_VERSION = MIGRATIONS.length;

import initial from './0001-initial.js';
import training from './0002-training.js';
import batchHeads from './0003-batch-heads.js';
import camelCaseMetrics from './0004-camel-case-metrics.js';

/** Numbered migrations; index + 1 is the schema version each one produces. */
export const MIGRATIONS: readonly string[] = [initial, training, batchHeads, camelCaseMetrics];
export const SCHEMA_VERSION = MIGRATIONS.length;

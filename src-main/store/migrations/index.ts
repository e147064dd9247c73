import initial from './0001-initial.js';

/** Numbered migrations; index + 1 is the schema version each one produces. */
export const MIGRATIONS: readonly string[] = [initial];
export const SCHEMA_VERSION = MIGRATIONS.length;

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseCsv } from '../shared/csv.js';
import { importFolder } from '../ingest/folder.js';
import { Project } from '../store/project.js';
import { resourcesDir } from '../shared/app-files.js';
import type { LabelChange } from '../store/labels.js';

/** Where the app keeps its projects unless told otherwise (GRAPHEME_STUDIO_HOME). */
export function dataDir(): string {
  if (process.env.GRAPHEME_STUDIO_HOME) return process.env.GRAPHEME_STUDIO_HOME;
  const base = process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share');
  return join(base, 'grapheme-studio');
}

/** The scan left unlabeled in the starter project, so a new user has work waiting. */
export const STARTER_UNLABELED_SCAN = 'scan0098/';

/**
 * Creates the starter project on first run: the real handwritten samples,
 * labeled except for one form's 81 cells. Returns its path.
 */
export async function ensureStarterProject(dir = dataDir()): Promise<string> {
  const file = join(dir, 'starter.sqlite');
  if (existsSync(file)) return file;
  const forms = join(resourcesDir(), 'starter', 'bengaliai-forms');
  const project = new Project(file);
  try {
    await importFolder(project, forms, join(forms, 'labels.csv'), { jobId: 'starter' }).then(() => undefined);
    // The importer labeled everything; the starter keeps one scan for the user to label.
    const changes: LabelChange[] = [];
    let header = true;
    for (const { fields } of parseCsv(readFileSync(join(forms, 'labels.csv'), 'utf8'))) {
      if (header) {
        header = false;
        continue;
      }
      const path = fields[0]!;
      if (!path.startsWith(STARTER_UNLABELED_SCAN)) continue;
      const id = project.images.idByName(path.replace(/\.png$/, ''));
      if (id !== undefined) changes.push({ imageId: id, state: 'unlabeled', root: null, vowel: null, consonant: null });
    }
    project.labels.apply(changes, 'import:starter', 'import');
  } finally {
    project.close();
  }
  return file;
}

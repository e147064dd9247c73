import { rename, writeFile } from 'node:fs/promises';
import { AppError } from '../contract/envelope.js';
import type { Project } from '../store/project.js';
import { composeGrapheme } from '../store/taxonomy.js';
import { csvField } from '../shared/csv.js';

export const EXPORT_HEADER = 'image_id,grapheme_root,vowel_diacritic,consonant_diacritic,grapheme';

/** Labeled images as the competition's train.csv, in import order. */
export function labelsCsv(project: Project): { text: string; rows: number } {
  const rows = project.db
    .prepare(
      `SELECT i.image_id, l.root, l.vowel, l.consonant, l.grapheme
       FROM images i JOIN labels l ON l.image_id = i.id WHERE l.state = 'labeled' ORDER BY i.id`,
    )
    .all() as { image_id: string; root: number; vowel: number; consonant: number; grapheme: string | null }[];
  const lines = [EXPORT_HEADER];
  for (const r of rows) {
    const g = r.grapheme ?? composeGrapheme(project.taxonomy, r.root, r.vowel, r.consonant);
    lines.push([r.image_id, r.root, r.vowel, r.consonant, g].map(csvField).join(','));
  }
  return { text: lines.join('\n') + '\n', rows: rows.length };
}

export async function exportLabels(project: Project, out: string): Promise<{ rows: number; path: string }> {
  const { text, rows } = labelsCsv(project);
  // Write next to the target and rename, so a failed write never leaves half a file.
  const tmp = `${out}.partial-${process.pid}`;
  try {
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, out);
  } catch (err) {
    throw new AppError(
      'bad_input',
      `Cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return { rows, path: out };
}

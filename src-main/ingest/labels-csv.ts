import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { AppError } from '../contract/envelope.js';
import { CLASS_COUNTS, type ImportSummary } from '../contract/domain.js';
import type { LabelChange } from '../store/labels.js';
import type { Project } from '../store/project.js';
import { parseCsv } from '../shared/csv.js';
import { ImportJob, type ImportOptions } from './job.js';

/** Resolves a row's key to an image id, or returns the reason it cannot. */
export type NameResolver = (key: { path?: string; imageId?: string }) => number | string;

const COLUMNS = [
  ['grapheme_root', 'root'],
  ['vowel_diacritic', 'vowel'],
  ['consonant_diacritic', 'consonant'],
] as const;

export const IMPORT_ANNOTATOR_PREFIX = 'import:';

/**
 * Reads a labels CSV and applies its valid rows as one import gesture.
 * Invalid rows are rejected with file:line and the reason; they change nothing.
 */
export async function applyLabelCsv(
  project: Project,
  file: string,
  resolveName: NameResolver,
  job: ImportJob,
): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError(
      'bad_input',
      `Cannot read labels CSV ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let header: string[] | null = null;
  let col: Record<string, number> = {};
  const changes: LabelChange[] = [];
  const firstLine = new Map<number, number>();
  try {
    for (const { line, fields } of parseCsv(text)) {
      if (job.cancelled) return;
      const where = `${file}:${line}`;
      if (!header) {
        header = fields.map((f) => f.trim());
        col = Object.fromEntries(header.map((h, i) => [h, i]));
        const missing: string[] = COLUMNS.map(([c]) => c as string).filter((c) => !(c in col));
        if (!('image_id' in col) && !('path' in col)) missing.unshift('image_id or path');
        if (missing.length) throw new AppError('bad_input', `${file}: missing column(s) ${missing.join(', ')}`);
        job.setTotal(null);
        continue;
      }
      const key = 'path' in col ? { path: fields[col.path!] ?? '' } : { imageId: fields[col.image_id!] ?? '' };
      const keyText = key.path ?? key.imageId ?? '';
      if (keyText === '') {
        job.reject(where, `empty ${'path' in key ? 'path' : 'image_id'}`);
        continue;
      }
      const values: Partial<Record<'root' | 'vowel' | 'consonant', number>> = {};
      let problem: string | null = null;
      for (const [name, component] of COLUMNS) {
        const raw = (fields[col[name]!] ?? '').trim();
        const max = CLASS_COUNTS[component] - 1;
        if (!/^-?\d+$/.test(raw)) problem ??= `${name} "${raw}" is not an integer`;
        else {
          const v = Number(raw);
          if (v < 0 || v > max) problem ??= `${name} ${v} is out of range 0..${max}`;
          else values[component] = v;
        }
      }
      if (problem) {
        job.reject(where, problem);
        continue;
      }
      const id = resolveName(key);
      if (typeof id === 'string') {
        job.reject(where, id);
        continue;
      }
      const seenAt = firstLine.get(id);
      if (seenAt !== undefined) {
        job.reject(where, `duplicate row for "${keyText}" (first on line ${seenAt})`);
        continue;
      }
      firstLine.set(id, line);
      const grapheme = 'grapheme' in col ? (fields[col.grapheme!] ?? null) : null;
      changes.push({
        imageId: id,
        state: 'labeled',
        root: values.root!,
        vowel: values.vowel!,
        consonant: values.consonant!,
        grapheme,
      });
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('bad_input', `${file}: ${(err as Error).message}`);
  }
  if (!header) throw new AppError('bad_input', `${file}: the file is empty (expected a header row)`);
  const changed = project.labels.apply(changes, IMPORT_ANNOTATOR_PREFIX + basename(file), 'import');
  job.summary.labeled += changed.length;
}

/** Applies a competition-format train.csv to images already in the project. */
export async function importLabels(project: Project, file: string, opts: ImportOptions): Promise<ImportSummary> {
  const job = new ImportJob(project, 'labels', opts);
  await applyLabelCsv(
    project,
    file,
    ({ imageId, path }) => {
      const name = imageId ?? path ?? '';
      return project.images.idByName(name) ?? `no image with image_id "${name}" in this project`;
    },
    job,
  );
  return job.finish();
}

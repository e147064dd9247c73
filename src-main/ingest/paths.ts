import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { ImportSummary } from '../contract/domain.js';
import type { Project } from '../store/project.js';
import { importFolder } from './folder.js';
import type { ImportOptions } from './job.js';
import { importLabels } from './labels-csv.js';
import { importParquet } from './parquet.js';

export function emptySummary(jobId: string): ImportSummary {
  return { jobId, imported: 0, duplicates: 0, labeled: 0, rejected: [], cancelled: false };
}

/** Adds one importer's summary to the total of several. */
export function mergeSummary(total: ImportSummary, s: ImportSummary): void {
  total.imported += s.imported;
  total.duplicates += s.duplicates;
  total.labeled += s.labeled;
  total.rejected.push(...s.rejected);
  total.cancelled ||= s.cancelled;
}

/**
 * Imports whatever was dropped on the window or named at once: folders of
 * images, parquet files, then label CSVs (applied last, to what is now
 * stored). Anything else is rejected by name. One summary for all.
 */
export async function importPaths(project: Project, paths: string[], opts: ImportOptions): Promise<ImportSummary> {
  const total = emptySummary(opts.jobId);
  const folders: string[] = [];
  const parquet: string[] = [];
  const csvs: string[] = [];
  for (const p of paths.map((x) => resolve(x))) {
    const info = await stat(p).catch(() => null);
    const ext = extname(p).toLowerCase();
    if (!info) total.rejected.push({ source: p, reason: 'not found' });
    else if (info.isDirectory()) folders.push(p);
    else if (ext === '.parquet') parquet.push(p);
    else if (ext === '.csv') csvs.push(p);
    else
      total.rejected.push({
        source: p,
        reason: 'not a folder, .parquet or .csv file (drop the folder that holds images)',
      });
  }
  const add = (s: ImportSummary) => mergeSummary(total, s);
  for (const folder of folders) if (!opts.signal?.aborted) add(await importFolder(project, folder, undefined, opts));
  if (parquet.length && !opts.signal?.aborted) add(await importParquet(project, parquet, undefined, opts));
  for (const csv of csvs) if (!opts.signal?.aborted) add(await importLabels(project, csv, opts));
  total.cancelled ||= opts.signal?.aborted ?? false;
  return total;
}

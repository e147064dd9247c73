/**
 * Imports one staged upload batch (see service/uploads.ts) with the same importers
 * as the CLI: each uploaded folder as a folder import (its one labels CSV, if any,
 * applied to it by path), loose images as one folder, parquet files, then loose
 * label CSVs. Rejections name the path the user uploaded, not the staging folder.
 */
import { existsSync, readdirSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import type { ImportSummary } from '../contract/domain.js';
import type { Project } from '../store/project.js';
import { importFolder } from './folder.js';
import type { ImportOptions } from './job.js';
import { importLabels } from './labels-csv.js';
import { importParquet } from './parquet.js';
import { emptySummary, mergeSummary } from './paths.js';

const list = (dir: string) => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []);

export async function importUpload(project: Project, batchDir: string, opts: ImportOptions): Promise<ImportSummary> {
  const total = emptySummary(opts.jobId);
  const go = () => !opts.signal?.aborted;
  const folders = join(batchDir, 'folders');
  for (const entry of list(folders)) {
    if (!entry.isDirectory() || !go()) continue;
    const folder = join(folders, entry.name);
    const csvs = list(folder).filter((e) => e.isFile() && extname(e.name).toLowerCase() === '.csv');
    const labels = csvs.length === 1 ? join(folder, csvs[0]!.name) : undefined;
    mergeSummary(total, await importFolder(project, folder, labels, opts));
  }
  const loose = join(batchDir, 'loose');
  if (existsSync(loose) && go()) mergeSummary(total, await importFolder(project, loose, undefined, opts));
  const data = list(join(batchDir, 'data')).filter((e) => e.isFile());
  const pick = (ext: string) =>
    data.filter((e) => extname(e.name).toLowerCase() === ext).map((e) => join(batchDir, 'data', e.name));
  const parquet = pick('.parquet');
  if (parquet.length && go()) mergeSummary(total, await importParquet(project, parquet, undefined, opts));
  for (const csv of pick('.csv')) if (go()) mergeSummary(total, await importLabels(project, csv, opts));
  total.cancelled ||= opts.signal?.aborted ?? false;
  // The user knows the files by the paths they uploaded.
  const prefixes = ['folders', 'loose', 'data'].map((d) => join(batchDir, d) + sep);
  for (const r of total.rejected) {
    const prefix = prefixes.find((p) => r.source.startsWith(p));
    if (prefix) r.source = r.source.slice(prefix.length).split(sep).join('/');
  }
  return total;
}

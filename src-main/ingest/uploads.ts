/**
 * Imports one staged upload batch (see service/uploads.ts) with the same importers
 * as the CLI: each uploaded folder as a folder import (its one labels CSV, if any,
 * applied to it by path), loose images as one folder, parquet files, then loose
 * label CSVs. Rejections name the path the user uploaded, not the staging folder.
 */
import { existsSync, readdirSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import type { ImportSummary } from '../contract/domain.js';
import { AppError } from '../contract/envelope.js';
import type { Project } from '../store/project.js';
import { importFolder } from './folder.js';
import type { ImportOptions } from './job.js';
import { importLabels } from './labels-csv.js';
import { importParquet } from './parquet.js';
import { emptySummary, mergeSummary } from './paths.js';

const list = (dir: string) => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []);

export async function importUpload(project: Project, batchDir: string, opts: ImportOptions): Promise<ImportSummary> {
  const total = emptySummary(opts.jobId);
  // The user knows the files by the paths they uploaded, not by the staging folder.
  const prefixes = ['folders', 'loose', 'data'].map((d) => join(batchDir, d) + sep);
  const shown = (text: string) => {
    for (const p of prefixes) text = text.split(p).join('');
    return text.split(sep).join('/');
  };
  const go = () => !opts.signal?.aborted;
  /** One part of the batch; a part refused whole (a CSV without its columns) is one rejection, the rest goes on. */
  const part = async (source: string, work: () => Promise<ImportSummary>) => {
    if (!go()) return;
    try {
      mergeSummary(total, await work());
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      total.rejected.push({ source, reason: err.message });
    }
  };
  const folders = join(batchDir, 'folders');
  for (const entry of list(folders)) {
    if (!entry.isDirectory()) continue;
    const folder = join(folders, entry.name);
    const csvs = list(folder).filter((e) => e.isFile() && extname(e.name).toLowerCase() === '.csv');
    const labels = csvs.length === 1 ? join(folder, csvs[0]!.name) : undefined;
    await part(folder, () => importFolder(project, folder, labels, opts));
  }
  const loose = join(batchDir, 'loose');
  if (existsSync(loose)) await part(loose, () => importFolder(project, loose, undefined, opts));
  const data = list(join(batchDir, 'data')).filter((e) => e.isFile());
  const pick = (ext: string) =>
    data.filter((e) => extname(e.name).toLowerCase() === ext).map((e) => join(batchDir, 'data', e.name));
  const parquet = pick('.parquet');
  if (parquet.length) await part(parquet.join(', '), () => importParquet(project, parquet, undefined, opts));
  for (const csv of pick('.csv')) await part(csv, () => importLabels(project, csv, opts));
  total.cancelled ||= opts.signal?.aborted ?? false;
  for (const r of total.rejected) {
    r.source = shown(r.source);
    r.reason = shown(r.reason);
  }
  return total;
}

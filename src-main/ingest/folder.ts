import { opendir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { AppError } from '../contract/envelope.js';
import type { ImportSummary } from '../contract/domain.js';
import type { Project } from '../store/project.js';
import { decodeImage } from './decode.js';
import { ImportJob, type ImportOptions } from './job.js';
import { applyLabelCsv } from './labels-csv.js';

const IGNORED = /^(\.|thumbs\.db$|desktop\.ini$|readme(\.\w+)?$|license(\.\w+)?$)/i;
/** Decoding runs in libvips' thread pool; this many files are in flight at once. */
const CONCURRENCY = 8;

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = [];
  for await (const e of await opendir(dir)) entries.push(e);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (IGNORED.test(e.name)) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) yield* walk(full);
    else if (e.isFile()) yield full;
  }
}

/** The stable name of a file in a folder import: its relative path without extension, with '/'. */
export function imageIdFor(folder: string, file: string): string {
  return relative(folder, file)
    .split(sep)
    .join('/')
    .replace(/\.[^./]+$/, '');
}

/**
 * Imports every PNG/JPEG under a folder (recursively), then applies an
 * optional labels CSV whose rows name files by `path` or `image_id`.
 */
export async function importFolder(
  project: Project,
  folderArg: string,
  labelsCsv: string | undefined,
  opts: ImportOptions,
): Promise<ImportSummary> {
  const folder = resolve(folderArg);
  const info = await stat(folder).catch(() => null);
  if (!info?.isDirectory()) throw new AppError('bad_input', `Folder not found: ${folderArg}`);
  const csvPath = labelsCsv ? resolve(labelsCsv) : undefined;

  const files: string[] = [];
  for await (const f of walk(folder)) if (f !== csvPath) files.push(f);
  const job = new ImportJob(project, 'folder', opts, files.length);

  let next = 0;
  const decodeNext = async (file: string) => {
    const source = file;
    try {
      const bytes = await readFile(file);
      const img = await decodeImage(bytes);
      return { ok: true as const, file, source, bytes, img };
    } catch (err) {
      return { ok: false as const, file, source, reason: (err as Error).message };
    }
  };
  // Keep CONCURRENCY decodes in flight, but add results in file order so ids are stable.
  const inflight: ReturnType<typeof decodeNext>[] = [];
  while ((next < files.length || inflight.length) && !job.cancelled) {
    while (inflight.length < CONCURRENCY && next < files.length) inflight.push(decodeNext(files[next++]!));
    const r = await inflight.shift()!;
    if (!r.ok) {
      job.reject(r.source, r.reason);
      continue;
    }
    const imageId = imageIdFor(folder, r.file);
    job.add({
      imageId,
      // A second folder that repeats the first one's file names: its images take the folder's name in front.
      fallbackId: `${basename(folder)}/${imageId}`,
      source: r.source,
      format: r.img.format,
      bytes: r.bytes,
      width: r.img.width,
      height: r.img.height,
      gray: r.img.gray,
    });
  }
  await Promise.allSettled(inflight);
  job.flush();

  if (csvPath && !job.cancelled) {
    const resolveName = folderNameResolver(project, folder, job.seen);
    await applyLabelCsv(project, csvPath, resolveName, job);
  }
  return job.finish();
}

/**
 * Maps a CSV row's `path` (relative to the folder) or `image_id` (file name
 * without extension) to a stored image. A bare file name matches only when
 * it names exactly one file of this folder.
 */
function folderNameResolver(project: Project, folder: string, seen: Map<string, number>) {
  const byBase = new Map<string, number | null>();
  for (const [name, id] of seen) {
    const base = name.slice(name.lastIndexOf('/') + 1);
    byBase.set(base, byBase.has(base) ? null : id);
  }
  return (key: { path?: string; imageId?: string }): number | string => {
    if (key.path !== undefined) {
      const name = imageIdFor(folder, resolve(folder, key.path));
      return seen.get(name) ?? project.images.idByName(name) ?? `no image at path "${key.path}" in this folder`;
    }
    const id = key.imageId!;
    const exact = seen.get(id) ?? project.images.idByName(id);
    if (exact !== undefined) return exact;
    const base = byBase.get(id);
    if (base === null) return `image_id "${id}" matches several files in this folder; use a path column`;
    return base ?? `no image with image_id "${id}" in this project`;
  };
}

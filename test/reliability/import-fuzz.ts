/**
 * The importer fuzzer: seeded mutants of PNG, JPEG, parquet and label CSV
 * files, each imported through the contract (the dispatcher, as every
 * transport calls it) into one project that already holds labeled images.
 * Every case must import or reject with a reason naming the file, within a
 * time limit, and leave the project passing integrity_check with every row
 * stored before unchanged. The counts are the result; `failures` says which
 * seeds to replay.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createDispatcher, type Dispatch } from '../../src-main/contract/dispatcher.js';
import type { ImportSummary } from '../../src-main/contract/domain.js';
import type { Envelope } from '../../src-main/contract/envelope.js';
import { Service } from '../../src-main/service/service.js';
import { Project } from '../../src-main/store/project.js';
import { mutateJpeg, mutatePng, Rng, type Mutant } from './mutate.js';
import { labelCsv } from './mutate-csv.js';
import { mutateParquet, type ParquetBase } from './mutate-parquet.js';
import { digest, integrity, marks } from './project-digest.js';

export type FuzzKind = 'png' | 'jpeg' | 'parquet' | 'csv';

export interface FuzzCounts {
  kind: FuzzKind;
  cases: number;
  /** Cases where at least one item was imported (or labels applied). */
  imported: number;
  /** Items rejected with a reason naming them (a whole call refused counts once). */
  rejections: number;
  crashes: number;
  hangs: number;
  /** Cases after which a row stored before differed, or integrity_check failed. */
  changes: number;
  /** Rejections whose reason did not name the item, or showed a stack trace. */
  unnamed: number;
  /** Cases that neither imported nor rejected anything (images and parquet; a CSV row equal to the stored label is a no-op). */
  silent: number;
  /** The slowest case, to see how far from the time limit the worst input is. */
  slowestMs: number;
  slowest: string;
  failures: string[];
}

export interface FuzzBases {
  png: Buffer[];
  jpeg: Buffer[];
  parquet: ParquetBase[];
  /** Image names the CSV rows refer to. */
  names: string[];
}

export interface FuzzOptions {
  kind: FuzzKind;
  cases: number;
  /** The first case number (to replay cases found by the soak). */
  from?: number;
  seed: number;
  /** Per case; a case over it counts as a hang. */
  timeLimitMs: number;
  dir: string;
  /** A folder of real images the project holds before the first case. */
  seedFolder: string;
  bases: FuzzBases;
  /** Called before each case runs: a case that kills the process is then known by its last line. */
  trace?: (line: string) => void;
}

const STACK = /\n\s+at |\bat .*\(.*:\d+:\d+\)/;

function caseFile(o: FuzzOptions, rng: Rng, n: number): { path: string; mutant: Mutant } {
  const folder = join(o.dir, 'cases', String(n));
  mkdirSync(folder, { recursive: true });
  const b = o.bases;
  const mutant =
    o.kind === 'png'
      ? mutatePng(rng, rng.pick(b.png))
      : o.kind === 'jpeg'
        ? mutateJpeg(rng, rng.pick(b.jpeg))
        : o.kind === 'parquet'
          ? mutateParquet(rng, rng.pick(b.parquet))
          : labelCsv(rng, b.names);
  const ext = { png: 'png', jpeg: 'jpg', parquet: 'parquet', csv: 'csv' }[o.kind];
  const path = join(folder, `case-${n}.${ext}`);
  writeFileSync(path, mutant.bytes);
  return { path, mutant };
}

function call(dispatch: Dispatch, o: FuzzOptions, path: string): Promise<Envelope<unknown>> {
  if (o.kind === 'parquet') return dispatch('import.parquet', { files: [path] });
  if (o.kind === 'csv') return dispatch('import.labels', { csv: path });
  return dispatch('import.folder', { folder: join(path, '..') });
}

async function seedProject(service: Service, dispatch: Dispatch, folder: string): Promise<void> {
  const r = await dispatch('import.folder', { folder });
  if (!r.ok) throw new Error(`seeding the fuzz project failed: ${r.error.message}`);
  const ids = service.project.db.prepare('SELECT id FROM images ORDER BY id LIMIT 20').pluck().all() as number[];
  for (const [i, imageId] of ids.entries()) {
    const e = await dispatch('labels.set', {
      imageId,
      state: 'labeled',
      root: i,
      vowel: i % 11,
      consonant: i % 7,
      annotator: 'fuzz-seed',
    });
    if (!e.ok) throw new Error(`seeding a label failed: ${e.error.message}`);
  }
}

/** Runs the cases; never throws for a case's outcome (that is what the counts are for). */
export async function fuzzImports(o: FuzzOptions): Promise<FuzzCounts> {
  const counts: FuzzCounts = {
    kind: o.kind,
    cases: 0,
    imported: 0,
    rejections: 0,
    crashes: 0,
    hangs: 0,
    changes: 0,
    unnamed: 0,
    silent: 0,
    slowestMs: 0,
    slowest: '',
    failures: [],
  };
  const project = new Project(join(o.dir, 'fuzz.sqlite'));
  const service = new Service(project);
  const internal: string[] = [];
  const dispatch = createDispatcher(service.handlers, (m, err) => internal.push(`${m}: ${(err as Error)?.stack}`));
  await seedProject(service, dispatch, o.seedFolder);
  const fail = (n: number, what: string, why: string) => {
    if (counts.failures.length < 20) counts.failures.push(`seed ${o.seed} case ${n} (${what}): ${why}`);
  };
  // A rejection nobody awaits would end a real server process (Node's default): count it as a crash of
  // the case that was running when it surfaced.
  let current = { n: -1, what: '' };
  const unheard = (reason: unknown) => {
    counts.crashes++;
    fail(current.n, current.what, `unhandled rejection: ${(reason as Error)?.message ?? String(reason)}`);
  };
  process.on('unhandledRejection', unheard);
  try {
    for (let n = o.from ?? 0; n < (o.from ?? 0) + o.cases; n++) {
      const rng = new Rng(o.seed * 1_000_003 + n);
      const { path, mutant } = caseFile(o, rng, n);
      o.trace?.(`seed ${o.seed} case ${n}: ${mutant.what}`);
      current = { n, what: mutant.what };
      const before = marks(project.db);
      const was = digest(project.db, before, o.kind !== 'csv');
      counts.cases++;
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<'hang'>((ok) => (timer = setTimeout(() => ok('hang'), o.timeLimitMs)));
      let outcome: Envelope<unknown> | 'hang';
      const t0 = performance.now();
      try {
        outcome = await Promise.race([call(dispatch, o, path), limit]);
      } catch (err) {
        counts.crashes++;
        fail(n, mutant.what, `threw ${(err as Error).message}`);
        continue;
      } finally {
        clearTimeout(timer);
        const ms = performance.now() - t0;
        if (ms > counts.slowestMs) [counts.slowestMs, counts.slowest] = [Math.round(ms), mutant.what];
      }
      if (outcome === 'hang') {
        counts.hangs++;
        fail(n, mutant.what, `no answer in ${o.timeLimitMs} ms`);
        break; // the import may still be running; later cases would measure it, not themselves
      }
      judge(counts, outcome, path, o.kind, (why) => fail(n, mutant.what, why), internal);
      const problems = checkStore(project, before, was, o.kind);
      if (problems) {
        counts.changes++;
        fail(n, mutant.what, problems);
      }
      rmSync(join(path, '..'), { recursive: true, force: true });
    }
  } finally {
    // Late rejections surface on a later turn of the event loop.
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', unheard);
    service.close();
    project.close();
  }
  return counts;
}

function judge(
  counts: FuzzCounts,
  outcome: Envelope<unknown>,
  path: string,
  kind: FuzzKind,
  fail: (why: string) => void,
  internal: string[],
): void {
  const name = basename(path);
  if (!outcome.ok) {
    if (outcome.error.code === 'internal') {
      counts.crashes++;
      fail(`internal error: ${internal.pop() ?? outcome.error.message}`);
    } else if (!outcome.error.message.includes(name) || STACK.test(outcome.error.message)) {
      counts.unnamed++;
      fail(`refused without naming the file: ${outcome.error.message}`);
    } else counts.rejections++;
    return;
  }
  const s = outcome.value as ImportSummary;
  if (s.imported + s.duplicates + s.labeled > 0) counts.imported++;
  for (const r of s.rejected) {
    if (!r.source.includes(name) || !r.reason || STACK.test(r.reason)) {
      counts.unnamed++;
      fail(`rejection without a name or reason: ${JSON.stringify(r).slice(0, 300)}`);
    } else counts.rejections++;
  }
  if (kind !== 'csv' && s.imported + s.duplicates + s.labeled + s.rejected.length === 0) {
    counts.silent++;
    fail('nothing imported and nothing rejected');
  }
}

/** Null when the project is intact; else what is wrong. */
function checkStore(
  project: Project,
  before: ReturnType<typeof marks>,
  was: Record<string, string>,
  kind: FuzzKind,
): string | null {
  const check = integrity(project.db);
  if (check !== 'ok') return `integrity_check: ${check}`;
  const now = digest(project.db, before, kind !== 'csv');
  const changed = Object.keys(was).filter((k) => was[k] !== now[k]);
  if (changed.length) return `rows stored before changed: ${changed.join(', ')}`;
  if (kind === 'csv') {
    // A labels import may change labels, but only with a history row for each change.
    const bad = project.db
      .prepare(
        `SELECT count(*) FROM labels l WHERE l.image_id <= ? AND l.updated_at IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM label_history h WHERE h.image_id = l.image_id AND h.after_state = l.state
              AND h.after_root IS l.root AND h.after_vowel IS l.vowel AND h.after_consonant IS l.consonant)`,
      )
      .pluck()
      .get(before.image) as number;
    if (bad) return `${bad} label(s) without the history row that made them`;
  }
  return null;
}

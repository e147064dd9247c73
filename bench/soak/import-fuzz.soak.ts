/** The importer fuzzer at full counts: 3,000 cases per image format and CSV, 3,000 parquet files. */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { fuzzImports, type FuzzKind } from '../../test/reliability/import-fuzz.js';
import { fuzzBases, SEED_FOLDER } from '../../test/reliability/fuzz-bases.js';
import { OUT, record } from '../report.js';
import { scaled } from './scale.js';

const dir = mkdtempSync(join(tmpdir(), 'gs-soak-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES: Record<FuzzKind, number> = { png: 3000, jpeg: 3000, csv: 3000, parquet: 3000 };

for (const kind of ['png', 'jpeg', 'csv', 'parquet'] as const) {
  it(`fuzz ${kind}`, async () => {
    const bases = await fuzzBases(join(dir, kind), kind === 'parquet');
    const seed = Number(process.env.SOAK_SEED ?? 2026);
    const c = await fuzzImports({
      kind,
      cases: scaled(CASES[kind]),
      seed,
      timeLimitMs: 60_000,
      dir: join(dir, kind),
      seedFolder: SEED_FOLDER,
      bases,
      trace: (line) => appendFileSync(join(OUT, `fuzz-${kind}-trace.log`), `${line}\n`),
    });
    for (const k of ['cases', 'imported', 'rejections', 'crashes', 'hangs', 'changes', 'unnamed', 'silent'] as const)
      record(`fuzz ${kind} ${k}`, c[k]);
    record(`fuzz ${kind} slowest case`, c.slowestMs, `ms (${c.slowest})`);
    if (c.failures.length) console.log(c.failures.join('\n'));
    expect(c.failures).toEqual([]);
  });
}

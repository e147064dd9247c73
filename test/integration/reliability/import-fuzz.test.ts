/**
 * CI slice of the importer fuzzer (the soak, `npm run soak`, runs thousands):
 * hundreds of seeded mutants per format, each imported or rejected by name,
 * none crashing, hanging or changing what was stored before.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fuzzImports, type FuzzBases, type FuzzCounts, type FuzzKind } from '../../reliability/import-fuzz.js';
import { fuzzBases, SEED_FOLDER } from '../../reliability/fuzz-bases.js';
import { tempDir } from '../../helpers.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let bases: FuzzBases;
beforeAll(async () => {
  bases = await fuzzBases(mkdtempSync(join(tmpdir(), 'gs-fuzz-bases-')), true);
});

const CASES: Record<FuzzKind, number> = {
  png: Number(process.env.FZ ?? 300),
  jpeg: Number(process.env.FZ ?? 300),
  csv: Number(process.env.FZ ?? 300),
  parquet: Number(process.env.FZP ?? 40),
};

function report(c: FuzzCounts) {
  const { failures, ...figures } = c;
  console.log(`import fuzz ${JSON.stringify(figures)}${failures.length ? `\n  ${failures.join('\n  ')}` : ''}`);
}

describe('importer fuzzing', () => {
  for (const kind of ['png', 'jpeg', 'csv', 'parquet'] as const) {
    it(`${kind}: every mutant imports or is rejected by name; no crash, hang or change`, async () => {
      const c = await fuzzImports({
        kind,
        cases: CASES[kind],
        seed: 14,
        timeLimitMs: 30_000,
        dir: tempDir(),
        seedFolder: SEED_FOLDER,
        bases,
      });
      report(c);
      expect(c.failures).toEqual([]);
      expect(c.cases).toBe(CASES[kind]);
      expect({ crashes: c.crashes, hangs: c.hangs, changes: c.changes, unnamed: c.unnamed, silent: c.silent }).toEqual({
        crashes: 0,
        hangs: 0,
        changes: 0,
        unnamed: 0,
        silent: 0,
      });
      // The mutants exercise both sides: some still import, many are refused.
      expect(c.rejections).toBeGreaterThan(0);
      if (kind !== 'parquet') expect(c.imported).toBeGreaterThan(0);
    }, 600_000);
  }

  // Found by the soak (seed 2026): the image_id column's total_compressed_size set to 2^31 made the
  // importer allocate 2 GB for it, and the process died.
  it('parquet: a column that claims 2 GB (soak seed 2026, case 55) is rejected by name', async () => {
    const c = await fuzzImports({
      kind: 'parquet',
      cases: 1,
      from: 55,
      seed: 2026,
      timeLimitMs: 30_000,
      dir: tempDir(),
      seedFolder: SEED_FOLDER,
      bases,
    });
    expect(c).toMatchObject({ cases: 1, crashes: 0, hangs: 0, changes: 0, unnamed: 0, failures: [] });
    expect(c.rejections).toBeGreaterThan(0);
  }, 120_000);
});

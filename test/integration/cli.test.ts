import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, FORMS, tempDir } from '../helpers.js';
import { competitionImages, trainCsv, writeCompetitionParquet } from '../fixtures/parquet.js';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(import.meta.dirname, '..', '..', 'dist', 'main', 'cli', 'index.js'))) {
    throw new Error('dist/main is missing: run npm run build before the CLI tests (npm test does)');
  }
});

describe('grapheme-studio CLI', () => {
  it('imports a folder with --json: one JSON object on stdout and nothing else', () => {
    const db = join(tempDir(), 'new', 'project.sqlite');
    const r = cli(['import', '--db', db, '--folder', FORMS, '--labels', join(FORMS, 'labels.csv'), '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual({ imported: 405, duplicates: 0, labeled: 405, rejected: [] });
    const stats = JSON.parse(cli(['stats', '--db', db, '--json']).stdout);
    expect(stats).toMatchObject({ images: 405, labeled: 405, unlabeled: 0 });
    expect(stats.classCounts.root).toHaveLength(168);
    expect(stats.classCounts.root.reduce((a: number, b: number) => a + b, 0)).toBe(405);
  });

  it('prints usage errors and data errors clearly, with JSON when asked', () => {
    const dir = tempDir();
    const usage = cli(['import', '--db', join(dir, 'p.sqlite')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('import needs --folder, --parquet or --labels');
    const missing = cli(['import', '--db', join(dir, 'p.sqlite'), '--folder', join(dir, 'nope'), '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toEqual({
      error: { code: 'bad_input', message: `Folder not found: ${join(dir, 'nope')}` },
    });
    expect(missing.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it('exports labels and re-imports them as a no-op', () => {
    const dir = tempDir();
    const db = join(dir, 'p.sqlite');
    cli(['import', '--db', db, '--folder', join(FORMS, 'scan0020'), '--json']);
    const csv = join(dir, 'train.csv');
    writeFileSync(csv, 'image_id,grapheme_root,vowel_diacritic,consonant_diacritic,grapheme\nr0c0,13,2,5,ক্রি\n');
    expect(JSON.parse(cli(['import', '--db', db, '--labels', csv, '--json']).stdout)).toMatchObject({ labeled: 1 });
    const out = join(dir, 'out.csv');
    const e = cli(['export-labels', '--db', db, '--out', out]);
    expect(e.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(csv, 'utf8'));
  });
});

describe('an import killed with SIGKILL', () => {
  it('leaves a database that passes integrity_check, and re-running completes it', async () => {
    const dir = tempDir();
    const file = join(dir, 'big.parquet');
    const images = await competitionImages(60);
    writeCompetitionParquet(file, { rows: 1500, images, rowGroupSize: 250 });
    writeFileSync(join(dir, 'train.csv'), trainCsv(images, 1500));
    const db = join(dir, 'p.sqlite');
    cli(['stats', '--db', db, '--json']); // create the project first

    const child = spawn(process.execPath, [CLI, 'import', '--db', db, '--parquet', file, '--json'], {
      stdio: 'ignore',
    });
    const reader = new Database(db, { readonly: true });
    const count = () => (reader.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n;
    const deadline = Date.now() + 60_000;
    while (count() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const partial = count();
    reader.close();
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(1500);

    const check = new Database(db);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(check.pragma('foreign_key_check')).toEqual([]);
    check.close();

    const rerun = JSON.parse(
      cli(['import', '--db', db, '--parquet', file, '--labels', join(dir, 'train.csv'), '--json']).stdout,
    );
    expect(rerun.imported + rerun.duplicates).toBe(1500);
    expect(rerun.duplicates).toBe(partial);
    expect(rerun.labeled).toBe(1500);
    expect(JSON.parse(cli(['stats', '--db', db, '--json']).stdout)).toMatchObject({ images: 1500, labeled: 1500 });
    // Its own limit: a fixture, an import, a kill and a full re-import took over 60 s under load average 18.
  }, 240_000);
});

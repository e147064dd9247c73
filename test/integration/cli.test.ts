import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

describe('folders whose file names repeat (issue 13, finding 7)', () => {
  it('imports a second folder with the same file names under its folder name, idempotently, labels by path', () => {
    const dir = tempDir();
    const db = join(dir, 'p.sqlite');
    const run = (...args: string[]) => JSON.parse(cli(['import', '--db', db, ...args, '--json']).stdout);
    expect(run('--folder', join(FORMS, 'scan0000'))).toMatchObject({ imported: 81, rejected: [] });
    const csv = join(dir, 'labels.csv');
    writeFileSync(csv, 'path,grapheme_root,vowel_diacritic,consonant_diacritic\nr0c0.png,13,0,0\n');
    // scan0020 holds r0c0.png … like scan0000: every image comes in, named scan0020/r0c0 …
    expect(run('--folder', join(FORMS, 'scan0020'), '--labels', csv)).toEqual({
      imported: 81,
      duplicates: 0,
      labeled: 1,
      rejected: [],
    });
    // Importing it again changes nothing.
    expect(run('--folder', join(FORMS, 'scan0020'))).toMatchObject({ imported: 0, duplicates: 81, rejected: [] });
    const d = new Database(db, { readonly: true });
    try {
      const names = d.prepare('SELECT image_id FROM images ORDER BY id').pluck().all() as string[];
      expect(names).toHaveLength(162);
      expect(names.slice(0, 2)).toEqual(['r0c0', 'r0c1']);
      expect(names.slice(81, 83)).toEqual(['scan0020/r0c0', 'scan0020/r0c1']);
      const labeled = d
        .prepare(`SELECT i.image_id FROM labels l JOIN images i ON i.id = l.image_id WHERE l.state = 'labeled'`)
        .pluck()
        .all();
      // The CSV's path named the file of the folder being imported, not the older r0c0.
      expect(labeled).toEqual(['scan0020/r0c0']);
    } finally {
      d.close();
    }
  });

  it('says what to do when the folder name is taken as well', () => {
    const dir = tempDir();
    const db = join(dir, 'p.sqlite');
    const copy = join(dir, 'elsewhere', 'scan0020');
    mkdirSync(copy, { recursive: true });
    copyFileSync(join(FORMS, 'scan0033', 'r0c0.png'), join(copy, 'r0c0.png'));
    cli(['import', '--db', db, '--folder', join(FORMS, 'scan0000'), '--json']);
    cli(['import', '--db', db, '--folder', join(FORMS, 'scan0020'), '--json']);
    const r = JSON.parse(cli(['import', '--db', db, '--folder', copy, '--json']).stdout);
    expect(r.imported).toBe(0);
    expect(r.rejected).toEqual([
      {
        source: join(copy, 'r0c0.png'),
        reason: expect.stringMatching(/"r0c0" and "scan0020\/r0c0" .* import the folder above this one/),
      },
    ]);
  });
});

describe('help and argument checks (issue 13, finding 6)', () => {
  it('prints each command its own help with its options and an example', () => {
    for (const args of [
      ['import', '--help'],
      ['help', 'import'],
      ['import', '-h'],
    ]) {
      const r = cli(args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 0]);
      expect(r.stdout).toContain('Usage: grapheme-studio import --db FILE (--folder DIR | --parquet FILE...)');
      expect(r.stdout).toContain('--labels CSV');
      expect(r.stdout).toMatch(/Example:\n {2}grapheme-studio import --db /);
      expect(r.stdout).not.toContain('export-labels');
    }
    for (const args of [
      ['train', '--help'],
      ['help', 'train'],
    ]) {
      const r = cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: grapheme-studio train --db FILE');
      expect(r.stdout).toMatch(/--engine auto\|wgsl\|tensorflow\|webgpu\|wasm\|cpu +where it computes/);
      expect(r.stdout).toContain('--epochs N');
      expect(r.stdout).toContain('--checkpoint-seconds S');
      expect(r.stdout).toMatch(/Example:\n {2}grapheme-studio train /);
    }
    const all = cli(['help']);
    expect(all.code).toBe(0);
    for (const c of ['import', 'stats', 'export-labels', 'serve', 'train', 'resume', 'eval', 'predict', 'export'])
      expect(all.stdout).toMatch(new RegExp(`^ {2}${c} `, 'm'));
    expect(cli(['help', 'nonsense']).code).toBe(2);
  });

  it('writes nothing when the command, an option or its value is wrong', () => {
    const dir = tempDir();
    const db = join(dir, 'p.sqlite');
    const cases = [
      ['frobnicate', '--db', db],
      ['import', '--db', db],
      ['import', '--db', db, '--folder', FORMS, '--parquet', 'x.parquet'],
      ['import', '--db', db, '--bogus'],
      ['train', '--db', db, '--size', 'big'],
      ['train', '--db', db, '--size', '20'],
      ['train', '--db', db, '--arch', 'vgg'],
      ['train', '--db', db, '--checkpoint-seconds', '-1'],
      ['export', '--db', db, '--run', '1'],
      ['export-labels', '--db', db],
    ];
    for (const args of cases) {
      const r = cli(args);
      expect([args.join(' '), r.code === 0]).toEqual([args.join(' '), false]);
      expect([args.join(' '), existsSync(db)]).toEqual([args.join(' '), false]);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
    const unknown = cli(['frobnicate', '--db', db]);
    expect(unknown.stderr).toContain('unknown command: frobnicate');
    const bad = cli(['import', '--db', db]);
    // A mistake in a command's options shows that command's help, not the whole list.
    expect(bad.stderr).toContain('import needs --folder, --parquet or --labels');
    expect(bad.stderr).toContain('Usage: grapheme-studio import --db FILE');
    expect(bad.stderr).not.toContain('Usage: grapheme-studio <command>');
  });
});

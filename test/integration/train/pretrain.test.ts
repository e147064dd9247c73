/**
 * Pretraining as a user runs it: the real CLI in real processes, rendering
 * with the real fonts; then training runs that start from its weights, and
 * the refusals of an init that does not fit (nothing stored changes).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, FORMS, tempDir } from '../../helpers.js';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const jsonLines = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const state = (dir: string) => JSON.parse(readFileSync(join(dir, 'last', 'state.json'), 'utf8'));
const tiny = ['--arch', 'resnet18', '--size', '32', '--base-width', '8', '--batch', '32'];

describe('grapheme-studio pretrain', () => {
  it('trains a narrow net on a few hundred renders, validates zero-shot, packs it with a model card', () => {
    const out = join(tempDir('gs-pretrain-'), 'pt');
    const r = cli(['pretrain', '--out', out, ...tiny, '--pool', '256', '--epochs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    const epoch = lines[0] as { epoch: number; val: { samples: number; hierarchicalRecall: number } };
    expect(epoch.epoch).toBe(1);
    expect(epoch.val.samples).toBe(405); // zero-shot on every starter crop
    expect(lines.at(-1)).toMatchObject({ ended: 'done' });
    expect(state(out)).toMatchObject({
      epoch: 1,
      step: 8,
      config: { arch: 'resnet18', baseWidth: 8, lossWeights: [2, 1, 1] },
    });
    const log = JSON.parse(readFileSync(join(out, 'pretrain.json'), 'utf8'));
    expect(log.fonts.length).toBeGreaterThanOrEqual(12);

    const ship = join(out, 'ship');
    const p = cli(['pack-pretrained', '--from', out, '--out', ship, '--json']);
    expect(p.code, p.stderr).toBe(0);
    const card = JSON.parse(readFileSync(join(ship, 'card.json'), 'utf8'));
    expect(card.zeroShot.samples).toBe(405);
    expect(card.imagesSeen).toBe(256);
    for (const f of card.fonts) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(ship, 'MODEL_CARD.md'), 'utf8')).toContain('Zero-shot on all 405 starter images');
    // uint8/float16: about a quarter of the float32 checkpoint.
    expect(card.weights.bytes).toBeLessThan(card.weights.float32Bytes * 0.4);
  }, 900_000);

  it('stops at a checkpoint on Ctrl-C and --resume finishes the same schedule', async () => {
    const out = join(tempDir('gs-pretrain-'), 'pt');
    const args = ['pretrain', '--out', out, ...tiny, '--pool', '64', '--epochs', '12', '--no-val', '--json'];
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const ended = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('"epoch":1')) resolve();
      }),
    );
    child.kill('SIGINT');
    expect(await ended).toBe(0);
    expect(jsonLines(stdout).at(-1)).toMatchObject({ ended: 'stopped' });
    const stoppedAt = state(out).step as number;
    expect(stoppedAt).toBeLessThan(24);
    expect(cli(['pretrain', '--out', out, ...tiny, '--pool', '64', '--epochs', '12', '--no-val']).code).toBe(1); // would overwrite
    const r = cli(['pretrain', '--out', out, '--resume', '--no-val', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ ended: 'done' });
    expect(state(out)).toMatchObject({ epoch: 12, step: 24 });
  }, 900_000);

  it('names the file and row of a bad grapheme list or font, and writes nothing', () => {
    const dir = tempDir('gs-pretrain-');
    const csv = join(dir, 'g.csv');
    execFileSync('sh', [
      '-c',
      `printf 'grapheme,grapheme_root,vowel_diacritic,consonant_diacritic\\nক,13,0,0\\nখ,13,99,0\\n' > ${csv}`,
    ]);
    const r = cli(['pretrain', '--out', join(dir, 'a'), ...tiny, '--graphemes', csv]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('g.csv: row 3: field vowel_diacritic must be a class id in 0..10, got "99"');
    const font = join(dir, 'font.ttf');
    execFileSync('sh', ['-c', `echo not a font > ${font}`]);
    const f = cli(['render-sheet', '--out', join(dir, 's.png'), '--font', font]);
    expect(f.code).toBe(1);
    expect(f.stderr).toContain('font.ttf: not a font');
    expect(f.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(dir, 'a')) || existsSync(join(dir, 's.png'))).toBe(false);
  }, 300_000);
});

describe('training runs start from', () => {
  let db: string;
  beforeAll(() => {
    db = join(tempDir('gs-init-'), 'forms.sqlite');
    execFileSync(process.execPath, [
      CLI,
      'import',
      '--db',
      db,
      '--folder',
      FORMS,
      '--labels',
      join(FORMS, 'labels.csv'),
    ]);
  });
  const runCount = () => {
    const d = new Database(db, { readonly: true });
    const n = d.prepare('SELECT count(*) FROM runs').pluck().get() as number;
    d.close();
    return n;
  };

  it('an earlier run (run:N), and refuses one of another architecture or width before recording anything', () => {
    const first = cli(['train', '--db', db, ...tiny, '--epochs', '1', '--init', 'scratch', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const runId = jsonLines(first.stdout)[0]!.run_id as number;
    const next = cli(['train', '--db', db, ...tiny, '--epochs', '1', '--init', `run:${runId}`, '--json']);
    expect(next.code, next.stderr).toBe(0);
    const before = runCount();
    const wrongArch = cli(['train', '--db', db, ...tiny, '--arch', 'resnet34', '--init', `run:${runId}`]);
    expect(wrongArch.code).toBe(1);
    expect(wrongArch.stderr).toContain(`init run:${runId}`);
    expect(wrongArch.stderr).toContain("arch is resnet18, the run's is resnet34");
    const wrongWidth = cli(['train', '--db', db, ...tiny, '--base-width', '16', '--init', `run:${runId}`]);
    expect(wrongWidth.stderr).toContain("base width is 8, the run's is 16");
    const wrongSize = cli(['train', '--db', db, ...tiny, '--size', '48', '--init', `run:${runId}`]);
    expect(wrongSize.stderr).toContain("input size is 32, the run's is 48");
    expect(cli(['train', '--db', db, ...tiny, '--init', 'run:999']).stderr).toContain('run 999 has no checkpoint');
    expect(cli(['train', '--db', db, ...tiny, '--init', 'pretrained']).stderr).toContain(
      'init pretrained: no shipped weights for resnet18 at 32x32 with base width 8',
    );
    expect(cli(['train', '--db', db, ...tiny, '--init', 'imagenet']).stderr).toContain(
      'init must be auto, pretrained, scratch or run:N',
    );
    expect(runCount()).toBe(before);
  }, 900_000);
});

/** The trainer's CLI commands as a user runs them: real process, real samples, --json contracts. */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, FORMS, tempDir } from '../../helpers.js';

/** The native engine counts only if its addon really loads (an unbuilt package resolves but fails). */
const nativeInstalled =
  spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  }).status === 0;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** --json promises exactly one JSON object on stdout. */
function json(out: string): Record<string, unknown> {
  const lines = out.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

let db: string;
beforeAll(() => {
  db = join(tempDir('gs-train-cli-'), 'forms.sqlite');
  execFileSync(process.execPath, [CLI, 'import', '--db', db, '--folder', FORMS, '--labels', join(FORMS, 'labels.csv')]);
});

describe('grapheme-studio train / eval / predict', () => {
  it('trains with the best engine and prints the promised object', () => {
    const tiny = ['--arch', 'resnet18', '--size', '32', '--base-width', '8', '--epochs', '1', '--batch', '32'];
    const r = cli(['train', '--db', db, ...tiny, '--engine', 'auto', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r.stdout) as {
      run_id: number;
      engine: string;
      device: string;
      epochs: number;
      metrics: { hierarchical_recall: number } & Record<
        'root' | 'vowel' | 'consonant',
        { accuracy: number; macro_recall: number }
      >;
    };
    // Where CI provisioned @tensorflow/tfjs-node offline, auto must pick the native engine.
    if (nativeInstalled) expect(out.engine).toBe('tensorflow');
    else expect(['webgpu', 'wasm']).toContain(out.engine); // webgpu only where Dawn finds a GPU
    expect(out.device.length).toBeGreaterThan(3);
    expect(out.epochs).toBe(1);
    expect(typeof out.metrics.hierarchical_recall).toBe('number');
    for (const c of ['root', 'vowel', 'consonant'] as const) {
      expect(out.metrics[c].accuracy).toBeGreaterThanOrEqual(0);
      expect(out.metrics[c].macro_recall).toBeLessThanOrEqual(1);
    }
    const hr =
      (2 * out.metrics.root.macro_recall + out.metrics.vowel.macro_recall + out.metrics.consonant.macro_recall) / 4;
    expect(out.metrics.hierarchical_recall).toBeCloseTo(hr, 12);

    const ev = cli(['eval', '--db', db, '--run', String(out.run_id), '--split', 'all', '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    const e = json(ev.stdout) as {
      confusion: Record<'root' | 'vowel' | 'consonant', number[][]>;
      metrics: { samples: number };
    };
    expect(e.metrics.samples).toBe(405);
    expect(e.confusion.root).toHaveLength(168);
    expect(e.confusion.vowel).toHaveLength(11);
    expect(e.confusion.consonant.map((row) => row.length)).toEqual(Array(7).fill(7));
    expect(e.confusion.vowel.flat().reduce((a, b) => a + b, 0)).toBe(405);

    const pr = cli([
      'predict',
      '--db',
      db,
      '--run',
      String(out.run_id),
      '--image',
      'scan0000/r0c0',
      '7',
      '--k',
      '2',
      '--json',
    ]);
    expect(pr.code, pr.stderr).toBe(0);
    const p = json(pr.stdout) as { predictions: { image_id: number; root: { class: number; prob: number }[] }[] };
    expect(p.predictions.map((x) => x.image_id)).toEqual([1, 7]);
    expect(p.predictions[0]!.root).toHaveLength(2);
  });

  it('fails at once on a bad config or a missing run, naming the problem', () => {
    const bad = cli(['train', '--db', db, '--batch', '0', '--json']);
    expect(bad.code).toBe(1);
    expect(json(bad.stdout)).toEqual({
      error: { code: 'bad_input', message: 'Invalid training config: batch must be >= 1, got 0' },
    });
    const usage = cli(['train', '--db', db, '--size', 'big']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--size must be a number, got "big"');
    const missing = cli(['eval', '--db', db, '--run', '999', '--json']);
    expect(missing.code).toBe(1);
    expect(json(missing.stdout)).toMatchObject({ error: { code: 'not_found', message: 'run 999 does not exist' } });
    // The first test's project is gone (tempDir is per test): this one is empty.
    const noImage = cli(['predict', '--db', db, '--run', '1', '--image', 'nope', '--json']);
    expect(noImage.code).toBe(1);
    expect(json(noImage.stdout)).toEqual({ error: { code: 'not_found', message: 'no image with id or name "nope"' } });
  });
});

/** grapheme-studio export / import-model as a user runs them: real processes, --json contracts, exit codes. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Service } from '../../../src-main/service/service.js';
import { Project } from '../../../src-main/store/project.js';
import { CLI, tempDir } from '../../helpers.js';
import { checkpointedRun } from './fixture.js';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function json(out: string): Record<string, unknown> {
  const lines = out.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

describe('grapheme-studio export / import-model', () => {
  it('exports a run and imports the folder into another project', async () => {
    const dir = tempDir('gs-export-cli-');
    const db = join(dir, 'a.sqlite');
    const service = new Service(new Project(db));
    const runId = await checkpointedRun(service);
    service.close();

    const out = join(dir, 'model');
    const ex = cli(['export', '--db', db, '--run', String(runId), '--format', 'all', '--out', out, '--json']);
    expect(ex.code, ex.stderr).toBe(0);
    const e = json(ex.stdout) as { run_id: number; out: string; files: { path: string; bytes: number }[] };
    expect(e.run_id).toBe(runId);
    expect(e.out).toBe(out);
    expect(e.files.map((f) => f.path)).toEqual([
      'labels.json',
      'model-card.json',
      'model-card.md',
      'model.onnx',
      'predict.mjs',
      'predict.py',
      'tfjs/model.json',
      'tfjs/weights.bin',
    ]);

    const other = join(dir, 'b.sqlite');
    const im = cli(['import-model', '--db', other, '--dir', out, '--json']);
    expect(im.code, im.stderr).toBe(0);
    const i = json(im.stdout) as { run_id: number; status: string; imported_from: { sourceRunId: number } };
    expect(i).toMatchObject({ run_id: 1, status: 'done', imported_from: { sourceRunId: runId } });
    expect(existsSync(join(dir, 'b.runs', 'run-1', 'last', 'weights.bin'))).toBe(true);

    // Human output goes to stderr and names the files.
    const again = cli(['export', '--db', other, '--run', '1', '--format', 'tfjs', '--out', join(dir, 'again')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('tfjs/weights.bin');
  });

  it('refuses bad usage (exit 2) and bad targets (exit 1) with the reason', () => {
    const dir = tempDir('gs-export-cli-');
    const db = join(dir, 'a.sqlite');
    const format = cli(['export', '--db', db, '--run', '1', '--format', 'zip', '--out', join(dir, 'x')]);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format must be tfjs, onnx, all; got "zip"');
    const noOut = cli(['export', '--db', db, '--run', '1', '--json']);
    expect(noOut.code).toBe(2);
    expect(json(noOut.stdout)).toEqual({ error: { code: 'usage', message: '--out is required' } });
    const busy = join(dir, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'keep'), '');
    const missing = cli(['export', '--db', db, '--run', '7', '--out', busy, '--json']);
    expect(missing.code).toBe(1);
    expect(json(missing.stdout)).toMatchObject({ error: { code: 'conflict' } });
    const damaged = cli(['import-model', '--db', db, '--dir', busy, '--json']);
    expect(damaged.code).toBe(1);
    expect(json(damaged.stdout)).toMatchObject({
      error: { code: 'bad_input', message: expect.stringContaining('model-card.json is missing') },
    });
    expect(readdirSync(busy)).toEqual(['keep']);
  });
});

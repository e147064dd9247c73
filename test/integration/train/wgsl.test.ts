/**
 * The wgsl engine in the real trainer process, as a user runs it: forced with
 * --engine wgsl (here the adapter is lavapipe, which auto never picks), on the
 * real starter samples. Its checkpoint is a plain LayersModel: eval and
 * predict load it on a CPU engine, and a tfjs engine resumes it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, FORMS, tempDir } from '../../helpers.js';
import { openGpu } from '../../../src-main/train/webgpu/device.js';

let reason = '';
try {
  (await openGpu()).destroy();
} catch (err) {
  reason = (err as Error).message;
  console.log(`wgsl engine integration test skipped: ${reason}`);
}

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let db: string;
beforeAll(() => {
  if (reason) return;
  db = join(tempDir('gs-wgsl-'), 'forms.sqlite');
  execFileSync(process.execPath, [CLI, 'import', '--db', db, '--folder', FORMS, '--labels', join(FORMS, 'labels.csv')]);
});

describe.skipIf(reason !== '')('grapheme-studio train --engine wgsl', { timeout: 900_000 }, () => {
  it('trains, reports the engine and why, and its checkpoint evaluates on another engine', () => {
    const tiny = ['--arch', 'resnet18', '--size', '32', '--base-width', '8', '--epochs', '2', '--batch', '32'];
    const r = cli(['train', '--db', db, ...tiny, '--engine', 'wgsl', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      run_id: number;
      engine: string;
      device: string;
      epochs: number;
      metrics: { loss: number; samples: number; hierarchical_recall: number };
    };
    expect(out.engine).toBe('wgsl');
    expect(out.device).toMatch(/own WGSL kernels via Dawn/);
    expect(out.epochs).toBe(2);
    expect(Number.isFinite(out.metrics.loss)).toBe(true);
    expect(out.metrics.samples).toBeGreaterThan(0);

    // The checkpoint is a LayersModel with moving statistics from the GPU: eval runs it on a tfjs backend
    // must give the same validation loss the trainer reported.
    const ev = cli(['eval', '--db', db, '--run', String(out.run_id), '--split', 'val', '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    const e = JSON.parse(ev.stdout.trim()) as { metrics: { loss: number; samples: number } };
    expect(e.metrics.samples).toBe(out.metrics.samples);
    expect(e.metrics.loss).toBeCloseTo(out.metrics.loss, 3);
  });
});

/**
 * The wgsl engine (own WGSL kernels, fixed plan): dispatches and submits per
 * step and host time per step on Dawn's null backend for each kernel variant
 * (f32, f16, subgroups, both; the JavaScript and Dawn side alone, ResNet-34
 * 64x64 batch 32), and images/s on lavapipe (CPU
 * Vulkan) side by side with the native engine at the same shape in the same
 * run. On a GPU machine, bench/gpu/run.sh measures the real thing.
 * BENCH_WGSL_LAVAPIPE="resnet18 64 16 64" sets the lavapipe shape (arch size batch width).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { record } from './report.js';

const ROOT = join(import.meta.dirname, '..');

function run(script: string, args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
    timeout: 1_500_000,
  });
  const line = r.stdout.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(line.startsWith('{') ? line : '{"error":"no output"}') as Record<string, unknown>;
}

/** Every kernel variant, one process (bench/wgsl-step.js). */
const VARIANTS = 'f32 f16 subgroups f16,subgroups';

it('wgsl on the null backend: dispatches, submits and host time per step for each variant (ResNet-34 64x64 b32)', () => {
  const out = run('wgsl-step.js', [
    '--backend',
    'null',
    '--arch',
    'resnet34',
    '--size',
    '64',
    '--batch',
    '32',
    '--steps',
    '10',
    '--variants',
    VARIANTS,
    // The null backend refuses a second ResNet-34 plan's buffers: one plan after another.
    '--one-at-a-time',
  ]);
  if (out.error) return record('wgsl null resnet34 64x64 b32', `not available: ${out.error}`);
  const name = 'wgsl null resnet34 64x64 b32';
  for (const v of out.variants as Record<string, unknown>[]) {
    if (v.error) {
      record(`${name} ${v.precision}`, `not available: ${v.error}`);
      continue;
    }
    const label = `${name} ${v.variant}`;
    record(`${label} dispatches/step`, v.dispatchesPerStep as number, 'dispatches');
    record(`${label} submits/step`, v.submitsPerStep as number, 'submits');
    record(`${label} host time/step`, v.hostMsPerStep as number, 'ms (start of step to submit)');
    record(`${label} step`, (v.secondsPerStep as number) * 1000, 'ms per step (null: nothing computed)');
    record(`${label} plan build`, v.buildSeconds as number, `s (${(v.planMiB as number).toFixed(0)} MiB)`);
    expect(v.submitsPerStep).toBe(1);
    expect(v.dispatchesPerStep).toBe(out.dispatchesPerStep);
  }
});

it('wgsl on lavapipe against the native engine, same shape, one run', () => {
  const [arch, size, batch, width] = (process.env.BENCH_WGSL_LAVAPIPE ?? 'resnet18 64 16 64').split(' ');
  const shape = `${arch} ${size}x${size} b${batch} width ${width}`;
  // Both engines measure the same shape for the same steps, so the ratio below compares like with like.
  const sameRun = ['--arch', arch!, '--size', size!, '--batch', batch!, '--steps', '3', '--warmup', '1'];
  const out = run('wgsl-step.js', [
    ...sameRun,
    '--width',
    width!,
    // The reference and what the engine picks (f16 and subgroups where offered), steps interleaved.
    '--variants',
    'f32 auto',
  ]);
  if (out.error) return record(`wgsl lavapipe ${shape}`, `not available: ${out.error}`);
  for (const v of out.variants as Record<string, unknown>[])
    if (!v.error)
      record(
        `wgsl ${shape} ${v.precision === 'f32' ? '' : `${v.variant} `}`.trim(),
        v.imagesPerSec as number,
        `images/s (${out.adapter}; host ${(v.hostMsPerStep as number).toFixed(1)} ms/step)`,
      );
  if (width === '64') {
    const native = run('train-step.js', ['tensorflow', ...sameRun]);
    if (native.error) record(`native ${shape}`, `not available: ${native.error}`);
    else {
      record(`native ${shape}`, native.imagesPerSec as number, `images/s (${native.device})`);
      record(
        `wgsl on lavapipe / native`,
        (out.imagesPerSec as number) / (native.imagesPerSec as number),
        'x (same cores)',
      );
    }
  }
  expect(out.imagesPerSec).toBeGreaterThan(0);
});

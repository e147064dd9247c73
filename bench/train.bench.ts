/**
 * Training throughput (images/s of the training step loop) for ResNet-34 at
 * 64x64, batch 32, for every engine that runs here, side by side with a
 * PyTorch reference (same model, same threads) when torch is importable; and
 * the input pipeline (augmentation + normalization) against the fastest engine.
 * PyTorch runs in both memory layouts (NCHW and channels-last) and its faster
 * one is the reference; native and PyTorch alternate, best of N each, at 64x64
 * and 128x128, with the load average printed beside the figures.
 * BENCH_TRAIN_ENGINES=tensorflow,wasm,cpu,webgpu chooses engines (cpu is off by
 * default: it needs minutes per batch); BENCH_TORCH_PYTHON names the python.
 * Last, the default one-click run end to end (`grapheme-studio train --db starter.sqlite` on a
 * fresh starter project, every default): wall time, where it went, and its validation recall.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import { ensureStarterProject } from '../src-main/service/starter.js';
import { openDatabase } from '../src-main/store/db.js';
import { Project } from '../src-main/store/project.js';
import { RunStore } from '../src-main/store/runs.js';
import { importFolder } from '../src-main/ingest/folder.js';
import { DEFAULT_CONFIG } from '../src-main/train/config.js';
import { loadDataset, pixelStats } from '../src-main/train/data.js';
import { mixPoolFile } from '../src-main/train/renders.js';
import { makeBatch } from '../src-main/train/trainer.js';
import { rng } from '../src-main/train/random.js';
import { OUT, record } from './report.js';

const ROOT = join(import.meta.dirname, '..');
const ENGINES = (process.env.BENCH_TRAIN_ENGINES ?? 'tensorflow,webgpu,wasm').split(',');
const STEPS: Record<string, string> = { tensorflow: '10', webgpu: '6', wasm: '3', cpu: '1' };
const results: Record<string, number> = {};

for (const engine of ENGINES) {
  it(`trains ResNet-34 64x64 batch 32 on ${engine}`, () => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bench', 'train-step.js'), engine, '--steps', STEPS[engine] ?? '3'],
      { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }, timeout: 1_500_000 },
    );
    const line = r.stdout.trim().split('\n').at(-1) ?? '{}';
    const out = JSON.parse(line) as { error?: string; imagesPerSec?: number; device?: string; coresBusy?: number };
    if (out.error) {
      record(`train ${engine} resnet34 64x64 b32`, `not available: ${out.error}`);
      return;
    }
    results[engine] = out.imagesPerSec!;
    record(
      `train ${engine} resnet34 64x64 b32`,
      out.imagesPerSec!,
      `images/s (${out.device}; ${out.coresBusy!.toFixed(2)} cores busy)`,
    );
    expect(out.imagesPerSec).toBeGreaterThan(0);
  });
}

/** A python that imports torch: BENCH_TORCH_PYTHON, python3, or a venv in .cache made from the local pip index. */
function torchPython(): string {
  const hasTorch = (py: string) => spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  const venv = join(ROOT, '.cache', 'torch-venv', 'bin', 'python');
  for (const py of [process.env.BENCH_TORCH_PYTHON, 'python3', venv]) if (py && hasTorch(py)) return py;
  const made = spawnSync(
    'sh',
    ['-c', `python3 -m venv "${dirname(dirname(venv))}" && "${venv}" -m pip install --retries 0 -q torch`],
    { encoding: 'utf8', timeout: 900_000 },
  );
  if (made.status !== 0 || !hasTorch(venv))
    throw new Error(`torch is not installable here: ${(made.stderr ?? '').trim().split('\n').at(-1)}`);
  return venv;
}

interface StepRun {
  imagesPerSec: number;
  coresBusy: number;
  device: string;
  params?: number;
}
const lastLine = (r: ReturnType<typeof spawnSync>) =>
  String(r.stdout ?? '')
    .trim()
    .split('\n')
    .at(-1);
const loadAverage = () => loadavg()[0]!.toFixed(1);

/** A 1-minute load average beside every alternating figure: two cores are shared here. */
function compareAtSize(python: string, size: number, rounds: number): void {
  const torchRun = (channelsLast: boolean): StepRun => {
    const args = [join(ROOT, 'bench', 'train_torch.py'), '--threads', '2', '--size', String(size), '--steps', '6'];
    const r = spawnSync(python, channelsLast ? [...args, '--channels-last'] : args, {
      encoding: 'utf8',
      timeout: 900_000,
    });
    const line = lastLine(r);
    if (r.status !== 0 || !line)
      throw new Error(
        String(r.stderr ?? '')
          .trim()
          .split('\n')
          .at(-1),
      );
    const out = JSON.parse(line) as StepRun;
    expect(out.params).toBe(21_373_818); // the same model as ours
    return out;
  };
  const nativeRun = (): StepRun | null => {
    const args = [join(ROOT, 'bench', 'train-step.js'), 'tensorflow', '--steps', '6', '--size', String(size)];
    const r = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
      timeout: 900_000,
    });
    const out = JSON.parse(lastLine(r) ?? '{}') as StepRun & { error?: string };
    return out.error || !out.imagesPerSec ? null : out;
  };
  // Alternate PyTorch (both layouts: its fastest is the reference) and native; keep each one's best.
  const best: Record<'torch' | 'native', StepRun | null> = { torch: null, native: null };
  const keep = (k: 'torch' | 'native', r: StepRun | null) => {
    if (r && (!best[k] || r.imagesPerSec > best[k].imagesPerSec)) best[k] = r;
  };
  const loads: string[] = [];
  for (let round = 0; round < rounds; round++) {
    loads.push(loadAverage());
    keep('torch', torchRun(round % 2 === 1));
    keep('native', nativeRun());
    keep('torch', torchRun(round % 2 === 0));
  }
  const tag = `resnet34 ${size}x${size} b32`;
  const torch = best.torch!;
  record(
    `train pytorch ${tag} (best of ${2 * rounds}, alternating)`,
    torch.imagesPerSec,
    `images/s (${torch.device}; ${torch.coresBusy.toFixed(2)} cores busy; load ${loads.join('/')})`,
  );
  if (!best.native) return;
  record(
    `train tensorflow ${tag} (best of ${rounds}, alternating)`,
    best.native.imagesPerSec,
    `images/s (${best.native.coresBusy.toFixed(2)} cores busy)`,
  );
  record(`train tensorflow / pytorch ${tag}`, best.native.imagesPerSec / torch.imagesPerSec, 'x');
  if (size === 64) results.tensorflow = Math.max(results.tensorflow ?? 0, best.native.imagesPerSec);
}

it('native vs PyTorch reference, same model and threads, 64x64 and 128x128', () => {
  let python: string;
  try {
    python = torchPython();
  } catch (err) {
    record('train pytorch resnet34 64x64 b32', `not available: ${(err as Error).message}`);
    return;
  }
  compareAtSize(python, 64, 3);
  compareAtSize(python, 128, 2);
});

it('input pipeline outpaces the fastest engine at least 10x', async () => {
  const project = new Project(join(OUT, 'train-bench.sqlite'));
  try {
    const forms = join(ROOT, 'resources', 'starter', 'bengaliai-forms');
    if (project.labels.stats().labeled === 0)
      await importFolder(project, forms, join(forms, 'labels.csv'), {
        jobId: 'bench',
        signal: new AbortController().signal,
        onProgress: () => {},
      });
  } finally {
    project.close();
  }
  const db = openDatabase(join(OUT, 'train-bench.sqlite'), { readonly: true });
  const ids = db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[];
  const ds = await loadDataset(db, ids, 64);
  db.close();
  const norm = pixelStats(ds.pixels);
  const random = rng(1);
  const t0 = performance.now();
  let images = 0;
  while (performance.now() - t0 < 3000) {
    const rows = Array.from({ length: 32 }, () => Math.floor(random() * ds.ids.length));
    const { x, labels } = makeBatch(ds, rows, norm, random);
    x.dispose();
    Object.values(labels).forEach((t) => t.dispose());
    images += 32;
  }
  const perSec = images / ((performance.now() - t0) / 1000);
  record('train input pipeline 64x64 augmented', perSec, 'images/s');
  const fastest = Math.max(
    0,
    ...Object.entries(results)
      .filter(([k]) => k !== 'pytorch')
      .map(([, v]) => v),
  );
  if (fastest > 0) {
    record('train input pipeline / fastest engine', perSec / fastest, 'x');
    expect(perSec).toBeGreaterThan(10 * fastest);
  }
});

it('the default one-click run on a fresh starter project: wall time and validation recall', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-one-click-'));
  try {
    const db = await ensureStarterProject(dir);
    // The renders mixed in are made once per machine (about 10-15 s) and cached; say which case this was.
    const cached = existsSync(mixPoolFile(DEFAULT_CONFIG.size));
    const loadBefore = loadAverage();
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'grapheme-studio.js'), 'train', '--db', db, '--json'], {
      encoding: 'utf8',
      timeout: 1_500_000,
    });
    const seconds = (performance.now() - t0) / 1000;
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(lastLine(r)!) as {
      run_id: number;
      status: string;
      engine: string;
      epochs: number;
      metrics: {
        hierarchical_recall: number;
        samples: number;
      } & Record<'root' | 'vowel' | 'consonant', { macro_recall: number }>;
    };
    expect(out.status).toBe('done');
    expect(out.epochs).toBe(DEFAULT_CONFIG.epochs);
    const store = openDatabase(db, { readonly: true });
    const epochs = new RunStore(store).epochs(out.run_id);
    const initFrom = new RunStore(store).get(out.run_id)!.summary.initFrom;
    store.close();
    // Seconds inside the epochs' training steps; the rest is start-up, validation and checkpoints.
    const steps = epochs.reduce((a, e) => a + e.seconds, 0);
    const m = out.metrics;
    const r3 = (v: number) => v.toFixed(3);
    record(
      'train one-click starter run (defaults) wall time',
      seconds,
      `s (${out.engine}, ${DEFAULT_CONFIG.arch} from ${initFrom}, ${out.epochs} epochs; ${steps.toFixed(0)} s in ` +
        `training steps, ${(seconds - steps).toFixed(0)} s start-up + validation + checkpoints; render pool ` +
        `${cached ? 'cached' : 'rendered in this run'}; load ${loadBefore}/${loadAverage()})`,
    );
    record(
      'train one-click starter run (defaults) validation hierarchical recall',
      m.hierarchical_recall,
      `(root ${r3(m.root.macro_recall)}, vowel ${r3(m.vowel.macro_recall)}, consonant ` +
        `${r3(m.consonant.macro_recall)}; ${m.samples} images; by epoch ` +
        `${epochs.map((e) => r3(e.val?.hierarchicalRecall ?? NaN)).join(' ')})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

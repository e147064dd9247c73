/**
 * Leave-one-scan-out on the starter set: for each of its five scans (one writer's form each), a
 * real training run (the service, its supervisor and the trainer process, exactly as a one-click
 * run) trains on the other four and validates on that scan. Prints per-scan hierarchical recall
 * (and root / vowel / consonant macro recall), their mean and spread, and the wall time of each run,
 * with the load average beside it.
 *
 * Run alone: `npm run build && nice -n 10 npx vitest run --config vitest.bench.config.ts bench/loso.bench.ts`
 * BENCH_LOSO_ARCH=resnet18|resnet34 (default resnet18: the arch with shipped weights),
 * BENCH_LOSO_CONFIG='{"epochs":6,"lr":0.003}' (any training.start fields over the app's defaults),
 * BENCH_LOSO_SCANS=scan0059,scan0000 (a subset: a cheaper proxy), BENCH_LOSO_LABEL=name (the figure's name).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EvalMetrics, TrainConfig } from '../src-main/contract/training.js';
import { Service } from '../src-main/service/service.js';
import { Project } from '../src-main/store/project.js';
import { readClassMap } from '../src-main/store/taxonomy.js';
import { readGraphemeList, renderSet } from '../src-main/synth/graphemes.js';
import { decodeFree, decodeValid, tripleSet, type Triple } from '../src-main/train/decode.js';
import { hierarchicalRecall, macroRecall } from '../src-main/train/metrics.js';
import { OUT, record } from './report.js';

const FORMS = join(import.meta.dirname, '..', 'resources', 'starter', 'bengaliai-forms');
const ALL_SCANS = ['scan0000', 'scan0020', 'scan0033', 'scan0059', 'scan0098'];
const SCANS = process.env.BENCH_LOSO_SCANS?.split(',') ?? ALL_SCANS;
const ARCH = (process.env.BENCH_LOSO_ARCH ?? 'resnet18') as TrainConfig['arch'];
const OVERRIDES = JSON.parse(process.env.BENCH_LOSO_CONFIG ?? '{}') as Partial<TrainConfig>;
const LABEL = process.env.BENCH_LOSO_LABEL ?? 'default';
const config: Partial<TrainConfig> = { arch: ARCH, engine: 'tensorflow', ...OVERRIDES };

interface Fold {
  scan: string;
  train: number;
  val: number;
  seconds: number;
  load: number[];
  initFrom: string | undefined;
  metrics: EvalMetrics;
  /** Hierarchical recall epoch by epoch (is a shorter run as good?). */
  curve: number[];
  /** Hierarchical recall of the final model under each decoding (decode.ts). */
  decoded: Record<string, number>;
}

const taxonomy = readClassMap();
const listed = readGraphemeList(taxonomy);
const DECODERS: Record<string, (p: Float32Array) => Triple> = {
  listHard: (p) => decodeValid(p, LIST),
  listMargin1: (p) => decodeValid(p, LIST, 1),
  listMargin4: (p) => decodeValid(p, LIST, 4),
  renderSetHard: (p) => decodeValid(p, RENDER_SET),
};
const LIST = tripleSet(listed);
const RENDER_SET = tripleSet(renderSet(taxonomy, listed));

/** The final checkpoint's predictions of the held-out scan, decoded each way, scored like the trainer does. */
async function decodings(runId: number): Promise<Record<string, number>> {
  const ids = service.project.runs.splitImages(runId, 'val');
  const probs = await service.supervisor.predictProbs(runId, ids);
  const get = service.project.db.prepare('SELECT root, vowel, consonant FROM labels WHERE image_id = ?');
  const truth = ids.map((id) => get.get(id) as Triple);
  const score = (picks: Triple[]) =>
    hierarchicalRecall({
      root: macroRecall(
        truth.map((t) => t.root),
        picks.map((t) => t.root),
      ),
      vowel: macroRecall(
        truth.map((t) => t.vowel),
        picks.map((t) => t.vowel),
      ),
      consonant: macroRecall(
        truth.map((t) => t.consonant),
        picks.map((t) => t.consonant),
      ),
    });
  const out: Record<string, number> = { independent: round(score(probs.map(decodeFree))) };
  for (const [name, decode] of Object.entries(DECODERS)) out[name] = round(score(probs.map(decode)));
  return out;
}

let dir: string;
let service: Service;
const folds: Fold[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-loso-'));
  service = new Service(new Project(join(dir, 'forms.sqlite')));
  await service.importFolder({ folder: FORMS, labels: join(FORMS, 'labels.csv') });
});
afterAll(() => {
  service?.close();
  rmSync(dir, { recursive: true, force: true });
});

const round = (v: number) => +v.toFixed(3);
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));

for (const scan of SCANS) {
  it(`${ARCH} trained without ${scan}, validated on it`, async () => {
    const t0 = Date.now();
    const { runId, split } = await service.handlers['training.start']({ ...config, holdout: scan });
    const run = await service.supervisor.wait(runId);
    const seconds = (Date.now() - t0) / 1000;
    expect(run.error).toBeNull();
    expect(run.status).toBe('done');
    expect(run.engine).toBe(config.engine === 'auto' ? run.engine : config.engine);
    const metrics = run.summary.metrics!;
    expect(metrics.samples).toBe(split.val);
    const detail = await service.handlers['runs.get']({ runId });
    const fold: Fold = {
      scan,
      curve: detail.epochs.map((e) => round(e.val?.hierarchicalRecall ?? NaN)),
      decoded: await decodings(runId),
      train: split.train,
      val: split.val,
      seconds,
      load: loadavg().map(round),
      initFrom: run.summary.initFrom,
      metrics,
    };
    folds.push(fold);
    record(
      `loso ${LABEL} ${ARCH} ${scan}`,
      metrics.hierarchicalRecall,
      `hierarchical recall (root ${round(metrics.root.macroRecall)}, vowel ${round(metrics.vowel.macroRecall)}, ` +
        `consonant ${round(metrics.consonant.macroRecall)}; ${split.train} train / ${split.val} val; ` +
        `${seconds.toFixed(0)} s; init ${run.summary.initFrom}; load ${fold.load.join(' ')}; ` +
        `by epoch ${fold.curve.join(' ')}; decoded ${JSON.stringify(fold.decoded)})`,
    );
  });
}

it('summarises the folds', () => {
  expect(folds.length).toBe(SCANS.length);
  const hr = folds.map((f) => f.metrics.hierarchicalRecall);
  const head = (k: 'root' | 'vowel' | 'consonant') => round(mean(folds.map((f) => f.metrics[k].macroRecall)));
  const seconds = folds.map((f) => f.seconds);
  record(
    `loso ${LABEL} ${ARCH} mean`,
    mean(hr),
    `hierarchical recall over ${folds.length} scans (std ${round(std(hr))}, min ${round(Math.min(...hr))}, ` +
      `max ${round(Math.max(...hr))}; root ${head('root')}, vowel ${head('vowel')}, consonant ${head('consonant')}; ` +
      `${mean(seconds).toFixed(0)} s per run, ${seconds.reduce((a, b) => a + b, 0).toFixed(0)} s in all)`,
  );
  const byEpoch = folds[0]!.curve.map((_, e) => round(mean(folds.map((f) => f.curve[e] ?? NaN))));
  record(`loso ${LABEL} ${ARCH} mean by epoch`, byEpoch.join(' '), 'hierarchical recall after each epoch');
  for (const name of Object.keys(folds[0]!.decoded))
    record(`loso ${LABEL} ${ARCH} decoded ${name}`, mean(folds.map((f) => f.decoded[name]!)), 'hierarchical recall');
  writeFileSync(
    join(OUT, `loso-${LABEL}-${ARCH}.json`),
    JSON.stringify({ label: LABEL, config, at: new Date().toISOString(), folds }, null, 1) + '\n',
  );
});

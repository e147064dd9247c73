/** CLI commands of the trainer: train, resume, eval, predict. */
import type { Client } from '../contract/client.js';
import { AppError } from '../contract/envelope.js';
import { COMPONENTS } from '../contract/domain.js';
import type { EvalMetrics, RunRecord, TrainConfig } from '../contract/training.js';
import { type CliIO, type Values, UsageError, num, printJson } from './args.js';
import { ProgressBar, formatSeconds } from './progress.js';
import { resolveConfig } from '../train/config.js';

/** parseArgs options these commands add to the CLI's. */
export const TRAIN_OPTIONS = {
  arch: { type: 'string' },
  size: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  engine: { type: 'string' },
  'base-width': { type: 'string' },
  holdout: { type: 'string' },
  init: { type: 'string' },
  'checkpoint-seconds': { type: 'string' },
  seed: { type: 'string' },
  'no-augment': { type: 'boolean', default: false },
  run: { type: 'string' },
  split: { type: 'string' },
  image: { type: 'string', multiple: true },
  k: { type: 'string' },
} as const;

export const TRAIN_COMMANDS = ['train', 'resume', 'eval', 'predict'] as const;

type IO = CliIO;

function runIdOf(values: Values): number {
  const id = num(values, 'run', true);
  if (id === undefined) throw new UsageError('--run is required');
  return id;
}

/**
 * The end of every run, as the contract's events tell it. Subscribed before
 * the run starts, so an end that comes at once is not missed.
 */
function runEnds(client: Client): { ended: (runId: number) => Promise<void>; off: () => void } {
  const ends = new Map<number, { done: Promise<void>; resolve: () => void }>();
  const entry = (runId: number) => {
    let e = ends.get(runId);
    if (!e) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      ends.set(runId, (e = { done, resolve }));
    }
    return e;
  };
  const offs = [
    client.on('training.done', (e) => entry(e.runId).resolve()),
    client.on('training.failed', (e) => entry(e.runId).resolve()),
  ];
  return { ended: (runId) => entry(runId).done, off: () => offs.forEach((off) => off()) };
}

// The CLI's --json output keeps its own snake_case names (run_id, macro_recall), which scripts read.
const headJson = (m: EvalMetrics | null | undefined) =>
  m
    ? {
        hierarchical_recall: m.hierarchicalRecall,
        loss: m.loss,
        samples: m.samples,
        ...Object.fromEntries(
          COMPONENTS.map((c) => [c, { accuracy: m[c].accuracy, macro_recall: m[c].macroRecall, loss: m[c].loss }]),
        ),
      }
    : null;

const fmt = (x: number) => x.toFixed(4);

function describe(m: EvalMetrics): string {
  return (
    `hierarchical recall ${fmt(m.hierarchicalRecall)} (root ${fmt(m.root.macroRecall)}, ` +
    `vowel ${fmt(m.vowel.macroRecall)}, consonant ${fmt(m.consonant.macroRecall)}) on ${m.samples} images`
  );
}

/** Follows a run until it ends: a progress bar per epoch, one line per epoch, Ctrl-C stops. */
async function follow(client: Client, ended: Promise<void>, runId: number, io: IO, quiet: boolean): Promise<RunRecord> {
  let bar: ProgressBar | null = null;
  let barEpoch = 0;
  const offs = [
    client.on('training.started', (e) => {
      if (e.runId === runId && !quiet)
        io.stderr.write(`run ${runId}: engine ${e.engine} on ${e.device}\n  ${e.reason}\n`);
    }),
    client.on('training.progress', (p) => {
      if (p.runId !== runId || quiet) return;
      if (p.epoch !== barEpoch) {
        bar?.end();
        bar = new ProgressBar(`epoch ${p.epoch}/${p.epochs}`, io.stderr);
        barEpoch = p.epoch;
      }
      bar!.update(
        p.batch,
        p.batches,
        `loss ${p.smoothedLoss.toFixed(3)} ${p.imagesPerSec.toFixed(1)} img/s run ETA ${formatSeconds(p.etaSeconds)}`,
      );
    }),
    client.on('training.epoch', (e) => {
      if (e.runId !== runId || quiet) return;
      bar?.end();
      const val = e.val ? describe(e.val) : 'no validation images';
      io.stderr.write(
        `epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)}, ${e.imagesPerSec.toFixed(1)} img/s, ${e.seconds.toFixed(1)} s; ${val}\n`,
      );
    }),
  ];
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    io.stderr.write(`\nstopping run ${runId} at a checkpoint (Ctrl-C again to abort)\n`);
    void client.call('training.stop', { runId });
  };
  process.on('SIGINT', onSigint);
  try {
    await ended;
    return await client.call('runs.get', { runId });
  } finally {
    process.off('SIGINT', onSigint);
    (bar as ProgressBar | null)?.end();
    for (const off of offs) off();
  }
}

function finish(run: RunRecord, db: string, json: boolean, io: IO, out: (o: unknown) => void): number {
  if (run.status === 'failed') throw new AppError('internal', `run ${run.id} failed: ${run.error}`);
  const result = {
    run_id: run.id,
    status: run.status,
    engine: run.engine,
    device: run.device,
    epochs: run.summary.epochsDone ?? 0,
    metrics: headJson(run.summary.metrics),
    split: run.summary.split,
    checkpoint: run.checkpoint,
  };
  if (json) out(result);
  else {
    if (run.summary.metrics) io.stderr.write(`run ${run.id} ${run.status}: ${describe(run.summary.metrics)}\n`);
    if (run.status === 'stopped') io.stderr.write(`resume with: grapheme-studio resume --db ${db} --run ${run.id}\n`);
    io.stdout.write(`run ${run.id} ${run.status}; checkpoint ${run.checkpoint}\n`);
  }
  return 0;
}

export async function trainCommand(
  client: Client,
  command: (typeof TRAIN_COMMANDS)[number],
  db: string,
  values: Values,
  io: IO,
): Promise<number> {
  const json = values.json === true;
  const out = (o: unknown) => printJson(io, o);
  if (command === 'train' || command === 'resume') {
    const ends = runEnds(client);
    try {
      return await trainOrResume(client, command, db, values, io, ends.ended);
    } finally {
      ends.off();
    }
  }
  if (command === 'eval') {
    const runId = runIdOf(values);
    const split = (values.split ?? 'val') as 'val' | 'train' | 'all';
    const r = await client.call('runs.eval', { runId, split });
    if (json) out({ run_id: runId, split, metrics: headJson(r.metrics), confusion: r.confusion });
    else io.stdout.write(`run ${runId} on ${split}: ${describe(r.metrics)}\n`);
    return 0;
  }
  return predict(client, values, io);
}

async function trainOrResume(
  client: Client,
  command: 'train' | 'resume',
  db: string,
  values: Values,
  io: IO,
  ended: (runId: number) => Promise<void>,
): Promise<number> {
  const json = values.json === true;
  const out = (o: unknown) => printJson(io, o);
  if (command === 'train') {
    const config: Partial<TrainConfig> = {
      arch: values.arch as TrainConfig['arch'] | undefined,
      size: num(values, 'size', false),
      epochs: num(values, 'epochs', false),
      batch: num(values, 'batch', false),
      lr: num(values, 'lr', false),
      engine: values.engine as TrainConfig['engine'] | undefined,
      baseWidth: num(values, 'base-width', false),
      seed: num(values, 'seed', false),
      holdout: typeof values.holdout === 'string' ? values.holdout : undefined,
      augment: values['no-augment'] === true ? false : undefined,
      init: typeof values.init === 'string' ? (values.init as TrainConfig['init']) : undefined,
      checkpointSeconds: num(values, 'checkpoint-seconds', false),
    };
    const input = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
    // The service checks this too, but only after opening the project: a bad value must create no file.
    resolveConfig(input);
    const { runId, split } = await client.call('training.start', input);
    if (!json)
      io.stderr.write(
        `run ${runId}: ${split.train} training and ${split.val} validation images (${split.method}); ` +
          `${split.singletons} root classes with a single example stay in training\n`,
      );
    return finish(await follow(client, ended(runId), runId, io, json), db, json, io, out);
  }
  const runId = runIdOf(values);
  const { fromEpoch } = await client.call('training.resume', { runId });
  if (!json) io.stderr.write(`run ${runId}: resuming after epoch ${fromEpoch}\n`);
  return finish(await follow(client, ended(runId), runId, io, json), db, json, io, out);
}

async function predict(client: Client, values: Values, io: IO): Promise<number> {
  const json = values.json === true;
  const runId = runIdOf(values);
  const names = Array.isArray(values.image) ? values.image : [];
  if (names.length === 0) throw new UsageError('predict needs at least one --image ID');
  const { images } = await client.call('images.resolve', { names });
  const nameOf = new Map(images.map((i) => [i.id, i.name]));
  const k = num(values, 'k', true) ?? 3;
  const { predictions } = await client.call('runs.predict', { runId, imageIds: images.map((i) => i.id), k });
  const tax = await client.call('taxonomy.get', {});
  const rows = predictions.map((p) => ({
    image_id: p.imageId,
    name: nameOf.get(p.imageId),
    ...Object.fromEntries(
      COMPONENTS.map((c) => [
        c,
        p[c].map((t) => ({ class: t.classId, glyph: tax[c][t.classId]?.glyph ?? null, prob: t.prob })),
      ]),
    ),
  }));
  if (json) printJson(io, { run_id: runId, predictions: rows });
  else
    for (const r of rows) {
      const best = COMPONENTS.map((c) => {
        const t = (r as unknown as Record<string, { class: number; glyph: string | null; prob: number }[]>)[c]![0]!;
        return `${c} ${t.class} ${t.glyph ?? ''} (${(t.prob * 100).toFixed(1)}%)`;
      });
      io.stdout.write(`${r.name ?? r.image_id}: ${best.join(', ')}\n`);
    }
  return 0;
}

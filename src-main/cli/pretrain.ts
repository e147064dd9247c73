/**
 * CLI commands of the renderer: pretrain (on rendered graphemes only, into
 * a checkpoint a training run can start from) and render-sheet (a PNG to look at).
 * They need no project database. Pretraining runs in this process: Ctrl-C
 * stops at a checkpoint and `--resume` continues it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppError } from '../contract/envelope.js';
import type { TrainConfig } from '../contract/training.js';
import { resourcesDir } from '../shared/app-files.js';
import { readClassMap } from '../store/taxonomy.js';
import { FontFileError } from '../synth/fonts.js';
import { GraphemeListError } from '../synth/graphemes.js';
import { writeSheet } from '../synth/sheet.js';
import { Synth } from '../synth/synth.js';
import { resolveConfig } from '../train/config.js';
import { emptyDataset } from '../train/data.js';
import { selectEngine } from '../train/engines.js';
import { pretrain, pretrainCheckpoint, starterDataset } from '../train/pretrain.js';
import { checkpointPath } from '../store/checkpoint-path.js';
import { loadModel, readState } from '../train/checkpoint.js';
import { packCheckpoint } from '../train/compact.js';
import { writePretrainedCard } from '../train/pretrained-card.js';
import { evaluate } from '../train/trainer.js';
import { formatSeconds, ProgressBar } from './progress.js';
import { type CliIO, num, type Values, UsageError } from './args.js';

export const PRETRAIN_OPTIONS = {
  pool: { type: 'string' },
  count: { type: 'string' },
  graphemes: { type: 'string' },
  font: { type: 'string', multiple: true },
  'system-fonts': { type: 'boolean', default: false },
  'no-val': { type: 'boolean', default: false },
  resume: { type: 'boolean', default: false },
  from: { type: 'string' },
  command: { type: 'string' },
} as const;

type IO = CliIO;

async function openSynth(values: Values, seed: number): Promise<Synth> {
  try {
    return await Synth.open({
      taxonomy: readClassMap(),
      graphemes: typeof values.graphemes === 'string' ? resolve(values.graphemes) : undefined,
      fontFiles: Array.isArray(values.font) ? values.font.map((f) => resolve(f)) : undefined,
      systemFonts: values['system-fonts'] === true,
      seed,
    });
  } catch (err) {
    if (err instanceof FontFileError || err instanceof GraphemeListError) throw new AppError('bad_input', err.message);
    throw err;
  }
}

export async function renderSheetCommand(values: Values, io: IO, json: boolean, out: (o: unknown) => void) {
  const file = typeof values.out === 'string' ? resolve(values.out) : null;
  if (!file) throw new UsageError('--out is required');
  const synth = await openSynth(values, num(values, 'seed', true, 0) ?? 1);
  const count = num(values, 'count', true, 1) ?? 96;
  await writeSheet(synth, file, { count, size: num(values, 'size', true, 16) ?? 64, columns: Math.min(12, count) });
  if (json) out({ path: file, count, fonts: synth.fonts.map((f) => f.id) });
  else io.stderr.write(`Wrote ${count} renders in ${synth.fonts.length} fonts to ${file}\n`);
  return 0;
}

function pretrainConfig(values: Values): TrainConfig {
  const partial: Partial<TrainConfig> = {
    arch: values.arch as TrainConfig['arch'] | undefined,
    size: num(values, 'size', true, 1),
    baseWidth: num(values, 'base-width', true, 1),
    epochs: num(values, 'epochs', true, 1) ?? 20,
    batch: num(values, 'batch', true, 1) ?? 64,
    lr: values.lr === undefined ? 2e-3 : Number(values.lr),
    engine: values.engine as TrainConfig['engine'] | undefined,
    seed: num(values, 'seed', true, 0) ?? 1,
    lossWeights: [2, 1, 1],
    valFraction: 0,
    // Every batch is renders already: nothing to mix in.
    synthMix: 0,
  };
  return resolveConfig(Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)));
}

export async function pretrainCommand(values: Values, io: IO, json: boolean, out: (o: unknown) => void) {
  // libtensorflow's info lines (oneDNN, CPU features) are read before it loads; the trainer process does the same.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  const outDir = typeof values.out === 'string' ? resolve(values.out) : null;
  if (!outDir) throw new UsageError('--out is required');
  const resume = values.resume === true;
  const exists = checkpointPath(pretrainCheckpoint(outDir)) !== null;
  if (resume && !exists) throw new AppError('bad_input', `no pretraining checkpoint to resume in ${outDir}`);
  if (!resume && exists)
    throw new AppError('conflict', `${outDir} already holds a pretraining checkpoint: use --resume, or another --out`);
  // A resume draws the very same pool: its size and seed come from the folder, not the command line.
  const jobFile = join(outDir, 'job.json');
  const saved =
    resume && existsSync(jobFile)
      ? (JSON.parse(readFileSync(jobFile, 'utf8')) as { pool: number; seed: number })
      : null;
  const config = { ...pretrainConfig(values), ...(saved ? { seed: saved.seed } : {}) };
  // Listening from here on: a Ctrl-C while fonts load or renders are drawn still ends at a checkpoint.
  let stop = false;
  const onSigint = () => {
    stop = true;
    io.stderr.write('\nstopping at the next batch (checkpoint)...\n');
  };
  process.on('SIGINT', onSigint);
  const synth = await openSynth(values, config.seed);
  const pool = saved?.pool ?? num(values, 'pool', true, 1) ?? 20_000;
  if (!resume) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(jobFile, JSON.stringify({ pool, seed: config.seed }));
  }
  const engine = await selectEngine(config.engine);
  const info = { engine: engine.name, device: engine.device, reason: engine.reason };
  const forms = join(resourcesDir(), 'starter', 'bengaliai-forms');
  const val =
    values['no-val'] === true || !existsSync(forms)
      ? emptyDataset(config.size)
      : await starterDataset(forms, config.size);
  const tty = !json && io.stderr.isTTY === true;
  const renderBar = new ProgressBar('render', io.stderr, tty);
  const bar = new ProgressBar('pretrain', io.stderr, tty);
  const started = Date.now();
  // Without a terminal (a log file overnight), one line a minute says how far it is.
  let lastLine = 0;
  try {
    if (!json)
      io.stderr.write(
        `Engine ${info.engine} (${info.device}); ${synth.fonts.length} fonts, ${synth.entries.length} graphemes\n`,
      );
    const ended = await pretrain({
      config,
      synth,
      pool,
      val,
      outDir,
      resume,
      engine: info,
      shouldStop: () => stop,
      report: (m) => {
        if (m.type === 'rendered') renderBar.update(m.done, m.total);
        else if (m.type === 'progress') {
          renderBar.end();
          const detail = `epoch ${m.epoch}/${m.epochs} batch ${m.batch}/${m.batches} loss ${m.smoothedLoss.toFixed(3)} ${m.imagesPerSec.toFixed(0)} img/s ETA ${formatSeconds(m.etaSeconds)}`;
          bar.update(m.step, null, detail);
          if (!tty && !json && Date.now() - lastLine > 60_000) {
            lastLine = Date.now();
            io.stderr.write(`step ${m.step}: ${detail}\n`);
          }
        } else if (m.type === 'epoch') {
          bar.end();
          const v = m.val
            ? ` zero-shot HR ${m.val.hierarchicalRecall.toFixed(3)} (root ${m.val.root.macroRecall.toFixed(3)})`
            : '';
          if (json) out({ epoch: m.epoch, trainLoss: m.trainLoss, seconds: m.seconds, val: m.val });
          else
            io.stderr.write(
              `epoch ${m.epoch}: loss ${m.trainLoss.toFixed(3)} ${m.imagesPerSec.toFixed(0)} img/s${v}\n`,
            );
        }
      },
    });
    const seconds = (Date.now() - started) / 1000;
    if (json) out({ ended, dir: pretrainCheckpoint(outDir), seconds });
    else
      io.stderr.write(
        `Pretraining ${ended} after ${formatSeconds(seconds)}; checkpoint in ${pretrainCheckpoint(outDir)}\n`,
      );
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    bar.end();
  }
}

export async function packCommand(values: Values, io: IO, json: boolean, out: (o: unknown) => void) {
  const from = typeof values.from === 'string' ? resolve(values.from) : null;
  const to = typeof values.out === 'string' ? resolve(values.out) : null;
  if (!from || !to) throw new UsageError('pack-pretrained needs --from DIR (a pretrain --out) and --out DIR');
  const ckpt = pretrainCheckpoint(from);
  if (!checkpointPath(ckpt)) throw new AppError('bad_input', `no pretraining checkpoint in ${from}`);
  const { bytes, float32Bytes } = packCheckpoint(ckpt, to);
  await selectEngine((values.engine as TrainConfig['engine'] | undefined) ?? 'auto');
  const state = readState(to);
  const val = await starterDataset(join(resourcesDir(), 'starter', 'bengaliai-forms'), state.config.size);
  const model = await loadModel(to);
  const { metrics } = await evaluate(model, val, state.normalization, state.config);
  model.dispose();
  const command =
    typeof values.command === 'string' ? values.command : `grapheme-studio pack-pretrained --from ${from} --out ${to}`;
  writePretrainedCard({ outDir: from, shipDir: to, command, zeroShot: metrics, bytes, float32Bytes });
  if (json) out({ dir: to, bytes, zeroShot: metrics });
  else
    io.stderr.write(
      `Packed ${(float32Bytes / 2 ** 20).toFixed(1)} -> ${(bytes / 2 ** 20).toFixed(1)} MiB into ${to}; ` +
        `zero-shot hierarchical recall on the 405 starter images ${metrics.hierarchicalRecall.toFixed(3)}\n`,
    );
  return 0;
}

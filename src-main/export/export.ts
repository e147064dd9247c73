/**
 * Exports a run's checkpoint as a folder that works without the app:
 * tfjs/ (LayersModel), model.onnx, labels.json, model-card.{json,md} and
 * predict.mjs. Everything is built in memory, written to a hidden folder
 * beside the target and renamed into place, so a failure leaves nothing
 * behind and an existing folder with files in it is never touched.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CLASS_COUNTS, COMPONENTS } from '../contract/domain.js';
import { AppError } from '../contract/envelope.js';
import type { EvalMetrics, ExportFormat, ModelExport } from '../contract/training.js';
import { checkpointPath } from '../store/checkpoint-path.js';
import type { Project } from '../store/project.js';
import type { TrainState } from '../train/checkpoint.js';
import { readLayersModel } from './layers-model.js';
import { withSoftmaxOutputs } from './softmax-outputs.js';
import {
  CARD_FORMAT,
  CARD_VERSION,
  PREPROCESSING,
  cardMarkdown,
  iso,
  isoTime,
  labelMap,
  type ModelCard,
} from './model-card.js';
import { encodeModel } from './onnx-proto.js';
import { PREDICT_MJS, PREDICT_PY } from './predict-script.js';
import { convertLayersModel } from './to-onnx.js';

export interface ExportOptions {
  format: ExportFormat;
  out: string;
  /** The version of the app that writes the export, for the model card and model.onnx. */
  appVersion: string;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const json = (o: unknown) => Buffer.from(JSON.stringify(o, null, 1) + '\n');

/** Refuses a target that exists with files in it, or whose parent cannot take a new folder. */
function checkTarget(out: string): void {
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new AppError('bad_input', `${out} exists and is not a folder`);
    if (readdirSync(out).length > 0)
      throw new AppError('conflict', `${out} is not empty: export into a new or empty folder`);
  }
  const parent = dirname(out);
  if (!existsSync(parent) || !statSync(parent).isDirectory())
    throw new AppError('bad_input', `the folder ${parent} does not exist: create it first or choose another place`);
}

/** Reads the run's checkpoint: its state and its LayersModel; AppError when there is none or it is unreadable. */
function readCheckpoint(project: Project, runId: number) {
  const run = project.runs.get(runId);
  if (!run) throw new AppError('not_found', `run ${runId} does not exist`);
  // A run still training may replace its checkpoint between two reads: a torn read is retried once.
  for (let attempt = 1; ; attempt++) {
    const dir = checkpointPath(project.runDir(runId).checkpoint);
    if (!dir) throw new AppError('conflict', `run ${runId} has no checkpoint to export (no epoch has finished)`);
    try {
      const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as TrainState;
      return { run, state, model: readLayersModel(dir) };
    } catch (err) {
      if (attempt < 2 && run.status === 'running') continue;
      throw new AppError('bad_input', `run ${runId}'s checkpoint in ${dir} is unreadable: ${(err as Error).message}`);
    }
  }
}

/** Builds the export's files in memory, by relative path. */
function buildFiles(project: Project, runId: number, opts: ExportOptions, now: number): Map<string, Uint8Array> {
  const { format, appVersion } = opts;
  const { run, state, model } = readCheckpoint(project, runId);
  const runs = project.runs;
  const files = new Map<string, Uint8Array>();
  const size = state.config.size;
  if (format !== 'onnx') {
    // The checkpoint's model.json ending in probabilities, with what a loader needs to know to feed it.
    const modelJson = {
      ...withSoftmaxOutputs(model.json),
      userDefinedMetadata: {
        graphemeStudio: {
          inputSize: size,
          normalization: state.normalization,
          outputs: [...COMPONENTS],
          outputsAre: 'probabilities',
        },
      },
    };
    files.set('tfjs/model.json', Buffer.from(JSON.stringify(modelJson)));
    for (const [name, buf] of model.weightFiles) files.set(`tfjs/${name}`, buf);
  }
  const epochs = runs.epochs(runId);
  const withVal = epochs.filter((e): e is typeof e & { val: EvalMetrics } => e.val !== null);
  const exported = withVal.find((e) => e.epoch === state.epoch && state.batchInEpoch === 0);
  const best = withVal.reduce<(typeof withVal)[number] | null>(
    (b, e) => (b === null || e.val.hierarchicalRecall > b.val.hierarchicalRecall ? e : b),
    null,
  );
  const counts = runs.splitCounts(runId);
  const card: ModelCard = {
    format: CARD_FORMAT,
    version: CARD_VERSION,
    exportedAt: isoTime(now),
    appVersion,
    exportFormat: format,
    run: {
      id: run.id,
      status: run.status,
      createdAt: isoTime(run.createdAt),
      finishedAt: iso(run.finishedAt),
      engine: run.engine,
      device: run.device,
      checkpoint: {
        epoch: state.epoch,
        step: state.step,
        batchInEpoch: state.batchInEpoch,
        savedAt: isoTime(state.savedAt),
      },
    },
    config: state.config,
    data: {
      train: counts.train || (run.summary.split?.train ?? 0),
      val: counts.val || (run.summary.split?.val ?? 0),
      splitMethod: run.summary.split?.method ?? null,
      classesInTraining: runs.classesInTraining(runId),
    },
    metrics: {
      exported: exported ? { epoch: exported.epoch, val: exported.val } : null,
      best: best ? { epoch: best.epoch, val: best.val } : null,
    },
    epochs: epochs.map(({ confusion: _c, ...e }) => e),
    input: {
      name: 'image',
      size,
      channels: 1,
      dtype: 'float32',
      layout: { tfjs: `NHWC [batch, ${size}, ${size}, 1]`, onnx: `NCHW [batch, 1, ${size}, ${size}]` },
      normalization: state.normalization,
      preprocessing: PREPROCESSING,
    },
    outputs: COMPONENTS.map((name) => ({ name, classes: CLASS_COUNTS[name] })),
    outputNotes: {
      tfjs: 'three tensors in the order root, vowel, consonant, each [batch, classes] of probabilities (softmax already applied)',
      onnx: 'three tensors named root, vowel, consonant, each [batch, classes] of probabilities (softmax already applied)',
    },
    files: {},
  };
  if (format !== 'tfjs') {
    const graph = convertLayersModel(model, { outputNames: COMPONENTS });
    files.set(
      'model.onnx',
      encodeModel({
        graphName: `${state.config.arch}_x3`,
        producerVersion: appVersion,
        docString: 'Bengali grapheme root/vowel/consonant classifier exported by Grapheme Studio; see model-card.md.',
        metadata: {
          input_size: String(size),
          normalization_mean: String(state.normalization.mean),
          normalization_std: String(state.normalization.std),
          outputs: COMPONENTS.join(','),
        },
        ...graph,
      }),
    );
    files.set('predict.mjs', Buffer.from(PREDICT_MJS));
    files.set('predict.py', Buffer.from(PREDICT_PY));
  }
  files.set('labels.json', json(labelMap(project.taxonomy)));
  for (const [path, data] of files) card.files[path] = { bytes: data.length, sha256: sha256(data) };
  files.set('model-card.json', json(card));
  files.set('model-card.md', Buffer.from(cardMarkdown(card)));
  return files;
}

/** Exports run `runId` into the folder `opts.out` (new or empty); returns what was written. */
export function exportRun(project: Project, runId: number, opts: ExportOptions, now = Date.now()): ModelExport {
  const out = resolve(opts.out);
  checkTarget(out);
  const files = buildFiles(project, runId, opts, now);
  const tmp = join(dirname(out), `.${basename(out)}.export-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(tmp);
    for (const [path, data] of files) {
      mkdirSync(dirname(join(tmp, path)), { recursive: true });
      writeFileSync(join(tmp, path), data);
    }
    // rename() replaces an empty folder and fails on one that gained files meanwhile.
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOTEMPTY' || e.code === 'EEXIST')
      throw new AppError('conflict', `${out} is not empty: export into a new or empty folder`);
    throw new AppError('bad_input', `cannot write the export beside ${out}: ${e.code ?? ''} ${e.message}`.trim());
  }
  const runs = project.runs;
  const previous = runs.get(runId)?.summary.exports ?? [];
  runs.patchSummary(runId, { exports: [...previous, { out, format: opts.format, at: now }].slice(-20) });
  return {
    runId,
    format: opts.format,
    out,
    files: [...files]
      .map(([path, data]) => ({ path, bytes: data.length }))
      .sort((a, b) => a.path.localeCompare(b.path)),
  };
}

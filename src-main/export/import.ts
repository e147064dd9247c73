/**
 * Brings an exported folder back into a project as a finished run whose
 * checkpoint is the exported TF.js model, so runs.predict (and everything
 * built on it) works with it. Every file is checked first, by name; nothing
 * is written unless all of them pass, and the run record and its checkpoint
 * folder appear together (the folder is renamed into place inside the
 * transaction that inserts the run).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLASS_COUNTS, COMPONENTS } from '../contract/domain.js';
import { AppError } from '../contract/envelope.js';
import type { ModelImport } from '../contract/training.js';
import type { Project } from '../store/project.js';
import type { TrainState } from '../train/checkpoint.js';
import { resolveConfig } from '../train/config.js';
import { readLayersModel, type LayersModelFiles } from './layers-model.js';
import { renameMetricKeys } from '../store/migrations/0004-camel-case-metrics.js';
import { CARD_FORMAT, CARD_VERSION, type ModelCard } from './model-card.js';
import { withoutSoftmaxOutputs } from './softmax-outputs.js';
import { convertLayersModel } from './to-onnx.js';

const bad = (message: string) => new AppError('bad_input', message);

function readJson(dir: string, name: string): unknown {
  const file = join(dir, name);
  if (!existsSync(file)) throw bad(`${name} is missing from ${dir}: not a complete Grapheme Studio export`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw bad(`${name} in ${dir} is not valid JSON: ${(err as Error).message}`);
  }
}

function readCard(dir: string): ModelCard {
  const card = readJson(dir, 'model-card.json') as Partial<ModelCard> | null;
  if (!card || card.format !== CARD_FORMAT || typeof card.files !== 'object' || !card.input || !card.config)
    throw bad(`model-card.json in ${dir} is not a Grapheme Studio model card`);
  const version: unknown = card.version;
  if (version !== 1 && version !== CARD_VERSION)
    throw bad(`model-card.json in ${dir} has version ${version}; this app reads versions 1 to ${CARD_VERSION}`);
  const n = card.input.normalization;
  if (!n || !Number.isFinite(n.mean) || !(n.std > 0))
    throw bad(`model-card.json in ${dir}: input.normalization is invalid`);
  // Version 1 wrote the metrics' keys in snake_case, as run records did before schema 4.
  return (version === 1 ? JSON.parse(renameMetricKeys(JSON.stringify(card))) : card) as ModelCard;
}

/** Every file the card lists is present, with its size and SHA-256. */
function checkFiles(dir: string, card: ModelCard): void {
  for (const [path, want] of Object.entries(card.files)) {
    const file = resolve(dir, path);
    if (!file.startsWith(resolve(dir) + '/') || path.includes('\\'))
      throw bad(`model-card.json lists ${JSON.stringify(path)}, which is outside the export folder`);
    if (!existsSync(file) || !statSync(file).isFile()) throw bad(`${path} is missing from ${dir}`);
    const bytes = readFileSync(file);
    if (bytes.length !== want.bytes)
      throw bad(`${path} is corrupt: it is ${bytes.length} bytes, the model card says ${want.bytes}`);
    if (createHash('sha256').update(bytes).digest('hex') !== want.sha256)
      throw bad(`${path} is corrupt: its SHA-256 differs from the model card's`);
  }
}

/** The model fits the app: image input of the card's size, three heads of the taxonomy's sizes, every weight mapped. */
function checkModel(dir: string, model: LayersModelFiles, size: number): void {
  const where = join(dir, 'tfjs', 'model.json');
  const input = model.layers.find((l) => l.name === model.inputs[0]?.[0]);
  const shape = input?.config.batch_input_shape;
  if (model.inputs.length !== 1 || JSON.stringify(shape) !== JSON.stringify([null, size, size, 1]))
    throw bad(`${where}: the input is ${JSON.stringify(shape)}, the model card says [null, ${size}, ${size}, 1]`);
  const units = model.outputs.map(([n]) => model.layers.find((l) => l.name === n)?.config.units);
  const want = COMPONENTS.map((c) => CLASS_COUNTS[c]);
  if (JSON.stringify(units) !== JSON.stringify(want))
    throw bad(`${where}: the outputs have ${JSON.stringify(units)} classes, this app needs ${JSON.stringify(want)}`);
  // Walks every layer and weight the way an ONNX export would: a missing or misshapen weight shows here.
  try {
    convertLayersModel(model, { outputNames: COMPONENTS });
  } catch (err) {
    throw bad(`${where}: ${(err as Error).message}`);
  }
}

function checkLabels(dir: string): void {
  const labels = readJson(dir, 'labels.json') as Record<string, unknown> | null;
  for (const c of COMPONENTS) {
    const list = labels?.[c];
    if (!Array.isArray(list) || list.length !== CLASS_COUNTS[c])
      throw bad(`labels.json in ${dir}: ${c} must list ${CLASS_COUNTS[c]} classes`);
  }
}

/** Imports the export in `dir` into `project` as a new done run, its checkpoint where the project keeps runs. */
export function importModel(project: Project, dir: string): ModelImport {
  const from = resolve(dir);
  if (!existsSync(from) || !statSync(from).isDirectory()) throw bad(`${from} is not a folder`);
  if (project.path === ':memory:') throw bad('importing a model needs a project file, not :memory:');
  const card = readCard(from);
  const tfjsDir = join(from, 'tfjs');
  if (!existsSync(join(tfjsDir, 'model.json')) && !card.files['tfjs/model.json'])
    throw bad(
      `${from} holds no TF.js model (it was exported with --format ${card.exportFormat}); export with --format tfjs or all`,
    );
  checkFiles(from, card);
  checkLabels(from);
  let config;
  try {
    config = resolveConfig(card.config);
  } catch (err) {
    throw bad(`model-card.json in ${from}: ${(err as Error).message}`);
  }
  // The checkpoint holds logits, as a trained run's does: the export's softmax layers go.
  const model = withoutSoftmaxOutputs(readLayersModel(tfjsDir));
  checkModel(from, model, config.size);

  const runs = project.runs;
  const state: TrainState = {
    config,
    epoch: card.run.checkpoint.epoch,
    batchInEpoch: 0,
    step: card.run.checkpoint.step,
    normalization: card.input.normalization,
    savedAt: Date.now(),
  };
  // Weight files joined into the one weights.bin a checkpoint holds.
  const specs = (model.json.weightsManifest as { weights: unknown[] }[]).flatMap((g) => g.weights);
  const modelJson = { ...model.json, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] };
  const weights = Buffer.concat([...model.weightFiles.values()]);
  const pending = { staging: '' };
  try {
    const runId = project.db.transaction(() => {
      const split = { train: card.data.train, val: card.data.val, singletons: 0, method: `imported from ${from}` };
      const id = runs.create(config, { train: [], val: [] }, split);
      const target = project.runDir(id).checkpoint;
      // A folder left by a deleted run with the same id is not this run's.
      rmSync(target, { recursive: true, force: true });
      rmSync(`${target}.old`, { recursive: true, force: true });
      const staging = (pending.staging = `${target}.import`);
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true });
      writeFileSync(join(staging, 'model.json'), JSON.stringify(modelJson));
      writeFileSync(join(staging, 'weights.bin'), weights);
      writeFileSync(join(staging, 'state.json'), JSON.stringify(state, null, 1));
      for (const e of card.epochs ?? []) runs.saveEpoch(id, { ...e, confusion: null });
      runs.patchSummary(id, {
        epochsDone: card.run.checkpoint.epoch,
        metrics: card.metrics.exported?.val ?? null,
        imported: { dir: from, sourceRunId: card.run.id, exportedAt: card.exportedAt, appVersion: card.appVersion },
      });
      runs.update(id, {
        status: 'done',
        checkpoint: target,
        finishedAt: Date.now(),
        ...(card.run.engine ? { engine: card.run.engine } : {}),
        ...(card.run.device ? { device: card.run.device } : {}),
      });
      renameSync(staging, target);
      pending.staging = '';
      return id;
    })();
    return { runId, run: runs.get(runId)! };
  } catch (err) {
    if (pending.staging) rmSync(pending.staging, { recursive: true, force: true });
    if (err instanceof AppError) throw err;
    throw new AppError('bad_input', `could not import ${from}: ${(err as Error).message}`);
  }
}

/**
 * Checkpoints: a TF.js LayersModel (model.json + weights.bin, loadable without
 * this app), the optimizer's state, and where training stands. Written to a
 * temporary folder, each file flushed to disk, its size and SHA-256 listed in
 * state.json, read back and checked, and only then renamed into place; the
 * checkpoint before it stays as `<dir>.old`. A kill mid-write, or a file cut
 * short or corrupted later, leaves a whole checkpoint to resume from.
 */
import * as tf from '@tensorflow/tfjs';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { TrainConfig } from './config.js';
import { checkpointPath, checkpointProblem, chooseCheckpoint, type CheckpointFile } from '../store/checkpoint-path.js';

export { checkpointPath };

export interface TrainState {
  config: TrainConfig;
  /** Epochs fully done. */
  epoch: number;
  /** Batches done within the epoch in progress (non-zero only after a stop mid-epoch). */
  batchInEpoch: number;
  /** Optimizer steps done in total. */
  step: number;
  normalization: { mean: number; std: number };
  savedAt: number;
  /** In state.json only (readState leaves it out): size and SHA-256 of every other file of the checkpoint. */
  files?: Record<string, CheckpointFile>;
}

/**
 * Written and flushed: a checkpoint said to be saved is on the disk, not in the page cache. Returns
 * the size and SHA-256 of what was written (hashed from memory; the read-back check reads the disk).
 */
function writeDurably(file: string, data: Uint8Array | string): CheckpointFile {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
}

// One weight buffer (the usual case) is written as it is, without a copy.
const toBuffer = (data: ArrayBuffer | ArrayBuffer[]) =>
  Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data);
const toArrayBuffer = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: TrainState,
): Promise<void> {
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const files: Record<string, CheckpointFile> = {};
  await model.save(
    tf.io.withSaveHandler(async (art) => {
      files['weights.bin'] = writeDurably(join(tmp, 'weights.bin'), toBuffer(art.weightData!));
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: 'Grapheme Studio',
        modelTopology: art.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs }],
      };
      files['model.json'] = writeDurably(join(tmp, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(art) };
    }),
  );
  // Adam names its state after the variables' process-unique names ("conv/kernel_2" when another
  // model was built first); store it under the layers' own names so any process can match it.
  const original = new Map(model.trainableWeights.map((w) => [(w.read() as tf.Variable).name, w.originalName]));
  const named = (await optimizer.getWeights()).map(({ name, tensor }) => {
    const m = /^(.*)\/([mv])$/.exec(name);
    const base = m && original.get(m[1]!);
    return { name: base ? `${base}/${m![2]}` : name, tensor };
  });
  const { data, specs } = await tf.io.encodeWeights(named);
  // The iteration count is a scalar made for this call; the moments are the optimizer's own.
  named.find((w) => w.name === 'iter')?.tensor.dispose();
  files['optimizer.bin'] = writeDurably(join(tmp, 'optimizer.bin'), new Uint8Array(data));
  files['optimizer.json'] = writeDurably(join(tmp, 'optimizer.json'), JSON.stringify(specs));
  writeDurably(join(tmp, 'state.json'), JSON.stringify({ ...state, files }, null, 1));
  const problem = checkpointProblem(tmp, 'hashes');
  if (problem) throw new Error(`the checkpoint just written does not read back whole: ${problem}`);
  // The latest good checkpoint becomes the previous one; the one before that goes.
  const old = `${dir}.old`;
  if (checkpointProblem(dir) === null) {
    rmSync(old, { recursive: true, force: true });
    renameSync(dir, old);
  } else rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

/**
 * The checkpoint a trainer resumes or predicts from, every byte checked;
 * `rejected` says why the latest was passed over for the previous one.
 */
export function usableCheckpoint(dir: string): { path: string; rejected: string | null } {
  // Checked once per save seen (state.json's time): a resume reads state, model and optimizer.
  const stamp = [dir, `${dir}.old`]
    .map((d) => statSync(join(d, 'state.json'), { throwIfNoEntry: false })?.mtimeMs ?? 0)
    .join();
  const hit = verified.get(dir);
  if (hit?.stamp === stamp) return hit;
  const choice = chooseCheckpoint(dir, 'hashes');
  if (!choice.path) {
    throw new Error(
      choice.rejected ? `${choice.rejected}, and no earlier checkpoint is whole` : `no checkpoint in ${dir}`,
    );
  }
  const result = { stamp, path: choice.path, rejected: choice.rejected };
  verified.set(dir, result);
  return result;
}
const verified = new Map<string, { stamp: string; path: string; rejected: string | null }>();

export function readState(dir: string): TrainState {
  const p = usableCheckpoint(dir).path;
  // The file list is the checkpoint's own bookkeeping, not where training stands.
  const { files: _files, ...state } = JSON.parse(readFileSync(join(p, 'state.json'), 'utf8')) as TrainState;
  return state;
}

export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const p = usableCheckpoint(dir).path;
  const json = JSON.parse(readFileSync(join(p, 'model.json'), 'utf8'));
  const weights = readFileSync(join(p, 'weights.bin'));
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: toArrayBuffer(weights),
    }),
  );
}

/**
 * Restores Adam's moments. Adam matches its state to variables by position,
 * and a model rebuilt from model.json may list its variables in another
 * order, so the state is reordered by the layers' variable names
 * (LayerVariable.originalName), in the order of `variableNames`.
 */
export async function loadOptimizerState(dir: string, optimizer: tf.Optimizer, variableNames: string[]): Promise<void> {
  const p = usableCheckpoint(dir).path;
  const specs = JSON.parse(readFileSync(join(p, 'optimizer.json'), 'utf8')) as tf.io.WeightsManifestEntry[];
  const map = tf.io.decodeWeights(toArrayBuffer(readFileSync(join(p, 'optimizer.bin'))), specs);
  const pick = (name: string) => {
    const tensor = map[name];
    if (!tensor) throw new Error(`the checkpoint's optimizer state has no ${name}: it belongs to another model`);
    return { name, tensor };
  };
  const iterations = specs[0]!.name;
  await optimizer.setWeights([
    pick(iterations),
    ...variableNames.map((n) => pick(`${n}/m`)),
    ...variableNames.map((n) => pick(`${n}/v`)),
  ]);
}

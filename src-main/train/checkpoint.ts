/**
 * Checkpoints: a TF.js LayersModel (model.json + weights.bin, loadable without
 * this app), the optimizer's state, and where training stands. Written to a
 * temporary folder and renamed into place, so a crash mid-write leaves the
 * previous checkpoint intact.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from './config.js';
import { checkpointPath } from '../store/checkpoint-path.js';

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
}

const toBuffer = (data: ArrayBuffer | ArrayBuffer[]) =>
  Buffer.concat((Array.isArray(data) ? data : [data]).map((b) => Buffer.from(b)));
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
  await model.save(
    tf.io.withSaveHandler(async (art) => {
      writeFileSync(join(tmp, 'weights.bin'), toBuffer(art.weightData!));
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: 'Grapheme Studio',
        modelTopology: art.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs }],
      };
      writeFileSync(join(tmp, 'model.json'), JSON.stringify(json));
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
  writeFileSync(join(tmp, 'optimizer.bin'), Buffer.from(data));
  writeFileSync(join(tmp, 'optimizer.json'), JSON.stringify(specs));
  writeFileSync(join(tmp, 'state.json'), JSON.stringify(state, null, 1));
  const old = `${dir}.old`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

export function readState(dir: string): TrainState {
  const p = checkpointPath(dir);
  if (!p) throw new Error(`no checkpoint in ${dir}`);
  return JSON.parse(readFileSync(join(p, 'state.json'), 'utf8')) as TrainState;
}

export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const p = checkpointPath(dir);
  if (!p) throw new Error(`no checkpoint in ${dir}`);
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
  const p = checkpointPath(dir);
  if (!p) throw new Error(`no checkpoint in ${dir}`);
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

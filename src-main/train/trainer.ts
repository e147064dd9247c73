/**
 * The training loop. Progress leaves it only through the `report` callback;
 * it knows nothing of processes or databases.
 */
import * as tf from '@tensorflow/tfjs';
import { CLASS_COUNTS, COMPONENTS } from '../contract/domain.js';
import { loadModel, loadOptimizerState, saveCheckpoint, type TrainState } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import type { Dataset } from './data.js';
import { evaluateHeads, type Confusion, type EvalMetrics } from './metrics.js';
import { buildModel } from './model.js';
import type { EngineInfo, EpochResult, FromWorker } from './protocol.js';
import { ProgressStream } from './progress.js';
import { makeBatch, makeOptimizer } from './step.js';
import { createStepper } from './steppers.js';
import { rng } from './random.js';
import { batchPlan, epochBatches, joinDatasets } from './batches.js';
import type { Stepper } from './steppers.js';
import { learningRate } from './schedule.js';

// The step's pieces live in step.ts (steppers.ts uses them too); tests and benchmarks import them from here.
export { batchArrays, makeBatch, makeOptimizer, trainingForward, trainStep, type TrainingForward } from './step.js';

export interface TrainJob {
  config: TrainConfig;
  train: Dataset;
  val: Dataset;
  engine: EngineInfo;
  checkpointDir: string;
  /** State of the checkpoint to continue from, if resuming. */
  resumeFrom: TrainState | null;
  /** A checkpoint whose weights a new run starts from (init-source.ts checked that it fits). */
  initDir?: string | null;
  normalization: { mean: number; std: number };
  /** Rendered graphemes mixed into every batch when config.synthMix > 0 (renders.ts). */
  renders?: Dataset | null;
  report: (msg: FromWorker) => void;
  shouldStop: () => boolean;
}

/** Softmax probabilities of every image of a dataset, batched. */
export async function predictProbs(
  model: tf.LayersModel,
  ds: Dataset,
  norm: { mean: number; std: number },
  batch: number,
): Promise<Record<(typeof COMPONENTS)[number], Float32Array>> {
  const count = ds.ids.length;
  const out = {
    root: new Float32Array(count * CLASS_COUNTS.root),
    vowel: new Float32Array(count * CLASS_COUNTS.vowel),
    consonant: new Float32Array(count * CLASS_COUNTS.consonant),
  };
  for (let start = 0; start < count; start += batch) {
    const rows = Array.from({ length: Math.min(batch, count - start) }, (_, i) => start + i);
    const { x, labels } = makeBatch(ds, rows, norm, null);
    const probs = tf.tidy(() => (model.predict(x) as tf.Tensor[]).map((l) => tf.softmax(l)));
    const data = await Promise.all(probs.map((p) => p.data()));
    COMPONENTS.forEach((c, i) => out[c].set(data[i] as Float32Array, start * CLASS_COUNTS[c]));
    tf.dispose([x, ...Object.values(labels), ...probs]);
  }
  return out;
}

export async function evaluate(
  model: tf.LayersModel,
  ds: Dataset,
  norm: { mean: number; std: number },
  config: Pick<TrainConfig, 'batch' | 'lossWeights'>,
): Promise<{ metrics: EvalMetrics; confusion: Confusion }> {
  const probs = await predictProbs(model, ds, norm, Math.max(config.batch, 64));
  return evaluateHeads(
    {
      root: { labels: ds.root, probs: probs.root, classes: CLASS_COUNTS.root },
      vowel: { labels: ds.vowel, probs: probs.vowel, classes: CLASS_COUNTS.vowel },
      consonant: { labels: ds.consonant, probs: probs.consonant, classes: CLASS_COUNTS.consonant },
    },
    config.lossWeights,
  );
}

/** The model a run trains: its own checkpoint on resume, else the init's weights, else a fresh one. */
export async function initialModel(job: Pick<TrainJob, 'config' | 'checkpointDir' | 'resumeFrom' | 'initDir'>) {
  if (job.resumeFrom) return loadModel(job.checkpointDir);
  return job.initDir ? loadModel(job.initDir) : buildModel(job.config);
}

/**
 * Batch norm's moving statistics from the labeled images alone, unaugmented: renders mixed into the
 * batches pulled them toward rendered ink; the model is judged, and used, on real handwriting.
 */
async function recalibrate(stepper: Stepper, real: Dataset, config: TrainConfig, norm: { mean: number; std: number }) {
  const rows = Array.from({ length: real.ids.length }, (_, i) => i);
  // A short last batch gives noisy statistics (one image: zero variance); it is left out.
  const batches = Array.from({ length: Math.ceil(rows.length / config.batch) }, (_, b) =>
    rows.slice(b * config.batch, (b + 1) * config.batch),
  ).filter((b, i) => i === 0 || b.length >= config.batch / 2);
  if (!(await stepper.recalibrate(real, batches, norm)))
    process.stderr.write('batch-norm re-estimation runs on the native engine only; skipped\n');
}

/** Trains until the configured epochs are done or a stop is requested; returns how it ended. */
export async function runTraining(job: TrainJob): Promise<'done' | 'stopped'> {
  const { config, val, report, normalization } = job;
  const real = job.train;
  if (real.ids.length === 0) throw new Error('no labeled images in the training split');
  const renderCount = config.synthMix > 0 ? (job.renders?.ids.length ?? 0) : 0;
  const train = renderCount ? joinDatasets(real, job.renders!) : real;
  const plan = batchPlan(real.ids.length, renderCount, config);
  const batches = plan.batches;
  const totalSteps = batches * config.epochs;
  const resume = job.resumeFrom;
  const model = await initialModel(job);
  // The wgsl engine keeps Adam's state on the GPU; a plain tfjs Adam only carries it to checkpoints.
  const optimizer = job.engine.engine === 'wgsl' ? tf.train.adam(config.lr) : makeOptimizer(config.lr);
  if (resume)
    await loadOptimizerState(
      job.checkpointDir,
      optimizer,
      model.trainableWeights.map((w) => w.originalName),
    );
  // After the optimizer state is restored: the wgsl engine copies it onto the GPU.
  const stepper = await createStepper(job.engine.engine, model, optimizer, config);
  let step = resume?.step ?? 0;
  let epoch = resume?.epoch ?? 0;
  let startBatch = resume?.batchInEpoch ?? 0;

  const state = (batchInEpoch: number): TrainState => ({
    config,
    epoch,
    batchInEpoch,
    step,
    normalization,
    savedAt: Date.now(),
  });
  // A run resumed from a checkpoint written before checkpointSeconds existed keeps its every-epoch rule.
  const everyMs = (config.checkpointSeconds ?? 0) * 1000;
  let lastSaved = Date.now();
  /** A checkpoint is due once `everyMs` of training passed since the last one (never mid-epoch with 0). */
  const due = () => everyMs > 0 && Date.now() - lastSaved >= everyMs;
  const checkpoint = async (batchInEpoch: number) => {
    await stepper.sync();
    await saveCheckpoint(job.checkpointDir, model, optimizer, state(batchInEpoch));
    report({ type: 'checkpoint', epoch, step, dir: job.checkpointDir });
    lastSaved = Date.now();
  };

  const progress = new ProgressStream(job.engine, totalSteps, (p) => report({ type: 'progress', ...p }));
  try {
    while (epoch < config.epochs) {
      const epochRows = epochBatches(plan, real.ids.length, renderCount, config.seed, epoch);
      const augRandom = rng(config.seed * 104729 + epoch * 31 + startBatch);
      const epochStart = Date.now();
      let lossSum = 0;
      let lossCount = 0;
      let images = 0;
      for (let b = startBatch; b < batches; b++) {
        // Let IPC messages (stop) in: on synchronous backends every await above is a microtask.
        await new Promise((resolve) => setImmediate(resolve));
        if (job.shouldStop()) {
          progress.flush();
          await checkpoint(b);
          report({ type: 'stopped', epoch, step });
          return 'stopped';
        }
        const lr = learningRate(step, totalSteps, config);
        const rows = epochRows[b]!;
        const random = config.augment ? augRandom : null;
        const { loss, root, vowel, consonant } = await stepper.step(train, rows, normalization, random, lr);
        if (!Number.isFinite(loss)) {
          throw new Error(
            `loss became ${loss} at epoch ${epoch + 1}, batch ${b + 1} (learning rate ${lr.toPrecision(3)}); ` +
              'training stopped. Lower the learning rate (--lr) and resume from the last checkpoint or start again.',
          );
        }
        step++;
        lossSum += loss;
        lossCount++;
        images += rows.length;
        progress.add(
          { step, epoch: epoch + 1, loss, lr, root, vowel, consonant },
          rows.length,
          { epoch: epoch + 1, epochs: config.epochs, batch: b + 1, batches },
          b === batches - 1,
        );
        if (b < batches - 1 && due()) {
          // Every batch before the checkpoint reaches the run record first: a resume continues after them.
          progress.flush();
          await checkpoint(b + 1);
        }
      }
      startBatch = 0;
      const seconds = (Date.now() - epochStart) / 1000;
      await stepper.sync();
      if (config.bnRecalibrate && epoch === config.epochs - 1) await recalibrate(stepper, real, config, normalization);
      const evaluated = val.ids.length ? await evaluate(model, val, normalization, config) : null;
      const result: EpochResult = {
        epoch: epoch + 1,
        trainLoss: lossCount ? lossSum / lossCount : NaN,
        lr: learningRate(step, totalSteps, config),
        seconds,
        imagesPerSec: images / Math.max(seconds, 1e-3),
        val: evaluated?.metrics ?? null,
        confusion: evaluated?.confusion ?? null,
      };
      // Metrics first: a crash before the checkpoint replays this epoch and overwrites its row.
      report({ type: 'epoch', ...result });
      epoch++;
      if (epoch === config.epochs || everyMs === 0 || due()) await checkpoint(0);
    }
    report({ type: 'done', epochs: config.epochs });
    return 'done';
  } finally {
    stepper.dispose();
    model.dispose();
    optimizer.dispose();
  }
}

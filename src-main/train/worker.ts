/**
 * Entry of the trainer process (child_process.fork of dist/main/train/worker.js).
 * It opens the project read-only, runs one job (train, eval or predict),
 * and talks to the service only through the typed messages of protocol.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { CLASS_COUNTS, COMPONENTS } from '../contract/domain.js';
import { openDatabase, type DB } from '../store/db.js';
import { RunStore } from '../store/runs.js';
import { readState, usableCheckpoint } from './checkpoint.js';
import { loadDataset, imagePixels, pixelStats, type Dataset } from './data.js';
import { GPU_DEFAULT_SIZE, type TrainConfig } from './config.js';
import { probeEngines, selectEngine } from './engines.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { evaluate, predictProbs, runTraining } from './trainer.js';
import { loadModel } from './checkpoint.js';
import { lowerOwnPriority } from './priority.js';
import { mixPool } from './renders.js';

let stopRequested = false;

/** Set when started by Electron's utilityProcess; otherwise Node's fork IPC (process.send). */
const parentPort = (
  process as unknown as {
    parentPort?: { on(e: 'message', l: (ev: { data: ToWorker }) => void): void; postMessage(m: unknown): void };
  }
).parentPort;

const pending = new Set<Promise<void>>();

/** Sends a message; `flush` waits for every one still in the pipe (exit would drop them). */
function send(msg: FromWorker): Promise<void> {
  const p = new Promise<void>((resolve) => {
    if (parentPort) {
      parentPort.postMessage(msg);
      resolve();
    } else if (!process.send) resolve();
    else process.send(msg, undefined, {}, () => resolve());
  });
  pending.add(p);
  void p.then(() => pending.delete(p));
  return p;
}
const flush = () => Promise.all([...pending]);

/** A run's images of a split, read through the store on this process's read-only connection. */
const runSplit = (db: DB, runId: number, split: 'train' | 'val' | 'all') => new RunStore(db).splitImages(runId, split);

async function train(job: Extract<ToWorker, { type: 'train' }>, db: DB) {
  // Training is batch work: below the app, from before the engine loads so that its thread pools
  // start low too. The engine probe, eval and predict stay at the app's priority: a user waits for
  // them (a niced probe under load average 22 kept training.engines unanswered for minutes).
  const lowered = lowerOwnPriority();
  if (typeof lowered === 'string') process.stderr.write(`${lowered}\n`);
  const engine = await selectEngine(job.config.engine);
  const info = { engine: engine.name, device: engine.device, reason: engine.reason };
  const resumeFrom = job.resume ? readState(job.checkpointDir) : null;
  const passedOver = job.resume ? usableCheckpoint(job.checkpointDir).rejected : null;
  if (passedOver)
    process.stderr.write(`${passedOver}; resuming from the previous checkpoint (epoch ${resumeFrom!.epoch})\n`);
  const config =
    resumeFrom?.config ?? (job.autoSize && engine.gpu ? { ...job.config, size: GPU_DEFAULT_SIZE } : job.config);
  await send({ type: 'engine', ...info, size: config.size });
  const trainSet = await loadDataset(db, runSplit(db, job.runId, 'train'), config.size);
  const valSet = await loadDataset(db, runSplit(db, job.runId, 'val'), config.size);
  const initDir = resumeFrom ? null : (job.initDir ?? null);
  // A model starts from weights that expect their own input scaling.
  const normalization =
    resumeFrom?.normalization ?? (initDir ? readState(initDir).normalization : pixelStats(trainSet.pixels));
  // The pool is a pure function of its seed and size: a resume gets the same renders (cached on disk).
  const renders = config.synthMix > 0 ? await mixPool(config.size) : null;
  await runTraining({
    config,
    train: trainSet,
    val: valSet,
    renders,
    engine: info,
    checkpointDir: job.checkpointDir,
    resumeFrom,
    initDir,
    normalization,
    report: (m) => void send(m),
    shouldStop: () => stopRequested,
  });
}

/**
 * Eval and predict run the LayersModel on a tfjs backend: a run trained by the wgsl engine needs no
 * GPU for them, so its checkpoint evaluates anywhere.
 */
const inferenceEngine = (engine: TrainConfig['engine']) => (engine === 'wgsl' ? 'auto' : engine);

async function evalJob(job: Extract<ToWorker, { type: 'eval' }>, db: DB) {
  await selectEngine(inferenceEngine(job.engine));
  const state = readState(job.checkpointDir);
  const ds = await loadDataset(db, runSplit(db, job.runId, job.split), state.config.size);
  if (ds.ids.length === 0) throw new Error(`run ${job.runId} has no labeled images in split ${job.split}`);
  const model = await loadModel(job.checkpointDir);
  const { metrics, confusion } = await evaluate(model, ds, state.normalization, state.config);
  await send({ type: 'evaluated', metrics, confusion });
}

async function predictJob(job: Extract<ToWorker, { type: 'predict' }>, db: DB) {
  await selectEngine(inferenceEngine(job.engine));
  const state = readState(job.checkpointDir);
  const size = state.config.size;
  const n = job.imageIds.length;
  const ds: Dataset = {
    size,
    ids: Int32Array.from(job.imageIds),
    pixels: new Uint8Array(n * size * size),
    root: new Int32Array(n),
    vowel: new Int32Array(n),
    consonant: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) ds.pixels.set(await imagePixels(db, job.imageIds[i]!, size), i * size * size);
  const model = await loadModel(job.checkpointDir);
  const probs = await predictProbs(model, ds, state.normalization, 64);
  const flat = job.imageIds.map((_, i) =>
    COMPONENTS.flatMap((c) => Array.from(probs[c].subarray(i * CLASS_COUNTS[c], (i + 1) * CLASS_COUNTS[c]))),
  );
  await send({ type: 'predicted', probs: flat });
}

async function probe() {
  try {
    const { engine, options } = await probeEngines();
    await send({ type: 'engine', engine: engine.name, device: engine.device, reason: engine.reason, size: 0, options });
  } catch (err) {
    await send({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
  }
  await flush();
  process.disconnect?.();
  process.exit(0);
}

async function handle(job: ToWorker) {
  if (job.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (job.type === 'probe') {
    await probe();
    return;
  }
  const db = openDatabase(job.dbPath, { readonly: true });
  try {
    if (job.type === 'train') await train(job, db);
    else if (job.type === 'eval') await evalJob(job, db);
    else await predictJob(job, db);
  } catch (err) {
    await send({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
  } finally {
    db.close();
    tf.disposeVariables();
  }
  await flush();
  process.disconnect?.();
  process.exit(0);
}

if (parentPort) {
  parentPort.on('message', (ev) => void handle(ev.data));
} else if (process.send) {
  process.on('message', (m: ToWorker) => void handle(m));
  // Ctrl-C in a terminal reaches the whole process group; the service decides (it sends 'stop').
  process.on('SIGINT', () => {});
  // The service went away: nobody is left to record results.
  process.on('disconnect', () => process.exit(0));
}

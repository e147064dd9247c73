/**
 * A run with a real checkpoint in a second, without a trainer process: the
 * factory's model saved by the trainer's own saveCheckpoint. For the tests
 * about files and errors, where what the weights learned does not matter.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../../src-main/train/config.js';
import { saveCheckpoint } from '../../../src-main/train/checkpoint.js';
import { buildModel } from '../../../src-main/train/model.js';
import type { Service } from '../../../src-main/service/service.js';

export const FIXTURE_CONFIG = resolveConfig({ arch: 'resnet18', size: 32, baseWidth: 4, epochs: 1, engine: 'cpu' });

/** Records a run and writes its checkpoint; returns the run id. */
export async function checkpointedRun(service: Service): Promise<number> {
  const runs = service.project.runs;
  const runId = runs.create(
    FIXTURE_CONFIG,
    { train: [], val: [] },
    { train: 0, val: 0, singletons: 0, method: 'fixture' },
  );
  const dir = service.project.runDir(runId).checkpoint;
  const model = buildModel(FIXTURE_CONFIG);
  const optimizer = tf.train.adam(1e-3);
  await saveCheckpoint(dir, model, optimizer, {
    config: FIXTURE_CONFIG,
    epoch: 1,
    batchInEpoch: 0,
    step: 1,
    normalization: { mean: 0.1, std: 0.2 },
    savedAt: Date.now(),
  });
  runs.update(runId, { status: 'done', checkpoint: dir, finishedAt: Date.now() });
  model.dispose();
  optimizer.dispose();
  return runId;
}

/** A run that never reached a checkpoint (queued, or failed before its first epoch). */
export function runWithoutCheckpoint(service: Service): number {
  const runs = service.project.runs;
  const runId = runs.create(
    FIXTURE_CONFIG,
    { train: [], val: [] },
    { train: 0, val: 0, singletons: 0, method: 'fixture' },
  );
  runs.update(runId, { status: 'failed', checkpoint: service.project.runDir(runId).checkpoint, error: 'killed' });
  return runId;
}

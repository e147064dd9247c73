/**
 * The training configuration: one plain object, validated once with messages
 * that name the offending field, and stored verbatim in the run record.
 */
import { AppError } from '../contract/envelope.js';
import { trainConfigError, trainConfigSchema, type TrainConfig } from '../contract/training.js';

export { ARCHS, ENGINES } from '../contract/training.js';
export type { Arch, EngineChoice, TrainConfig } from '../contract/training.js';

/** Input side when the user gives none and the engine trains on a GPU (64 on CPU engines). */
export const GPU_DEFAULT_SIZE = 128;

export const DEFAULT_CONFIG: TrainConfig = {
  arch: 'resnet34',
  size: 64,
  baseWidth: 64,
  epochs: 10,
  batch: 32,
  lr: 1e-3,
  warmup: 0.05,
  lossWeights: [1, 1, 1],
  engine: 'auto',
  valFraction: 0.2,
  augment: true,
  seed: 1,
  holdout: null,
  init: 'auto',
  // Measured by leave-one-scan-out (src-main/train/README.md); applies to runs that start from pretrained weights.
  synthMix: 0.5,
  labelSmoothing: 0,
  bnRecalibrate: false,
  strongAugment: false,
  // A short run writes one checkpoint, at its end (src-main/train/README.md, the one-click run).
  checkpointSeconds: 120,
};

/**
 * Merges a partial config over the defaults and checks the whole against the contract's schema (the
 * dispatcher has refused a bad training.start already; an imported model card's config comes here
 * unchecked); throws AppError('bad_input').
 */
export function resolveConfig(partial: Partial<TrainConfig> = {}): TrainConfig {
  const parsed = trainConfigSchema.safeParse({ ...DEFAULT_CONFIG, ...stripUndefined(partial) });
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new AppError('bad_input', trainConfigError(issues.map((i) => i.message)), issues);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

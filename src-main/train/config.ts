/**
 * The training configuration: one plain object, validated once with messages
 * that name the offending field, and stored verbatim in the run record.
 */
import { AppError } from '../contract/envelope.js';
import { ARCHS, ENGINES, type TrainConfig } from '../contract/training.js';

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
};

type Issue = { path: string; message: string };

function intIn(issues: Issue[], name: string, v: unknown, min: number, max: number) {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    issues.push({ path: name, message: `${name} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}` });
}
function numIn(issues: Issue[], name: string, v: unknown, min: number, max: number, openMin = false) {
  const bad = typeof v !== 'number' || !Number.isFinite(v) || (openMin ? v <= min : v < min) || v > max;
  if (bad)
    issues.push({
      path: name,
      message: `${name} must be a number in ${openMin ? '(' : '['}${min}, ${max}], got ${JSON.stringify(v)}`,
    });
}

/** Merges a partial config over the defaults and checks every field; throws AppError('bad_input'). */
export function resolveConfig(partial: Partial<TrainConfig> = {}): TrainConfig {
  const unknown = Object.keys(partial).filter((k) => !(k in DEFAULT_CONFIG));
  const c = { ...DEFAULT_CONFIG, ...stripUndefined(partial) } as TrainConfig;
  const issues: Issue[] = unknown.map((k) => ({ path: k, message: `unknown config field ${k}` }));
  if (!ARCHS.includes(c.arch))
    issues.push({ path: 'arch', message: `unknown arch ${JSON.stringify(c.arch)}; use ${ARCHS.join(' or ')}` });
  if (!ENGINES.includes(c.engine))
    issues.push({ path: 'engine', message: `unknown engine ${JSON.stringify(c.engine)}; use ${ENGINES.join(', ')}` });
  // Five stride-2 reductions: below 32 pixels the last stage would see a 0x0 map.
  intIn(issues, 'size', c.size, 32, 512);
  intIn(issues, 'baseWidth', c.baseWidth, 4, 256);
  intIn(issues, 'epochs', c.epochs, 1, 10_000);
  if (typeof c.batch === 'number' && Number.isInteger(c.batch) && c.batch < 1)
    issues.push({ path: 'batch', message: `batch must be >= 1, got ${c.batch}` });
  else intIn(issues, 'batch', c.batch, 1, 4096);
  numIn(issues, 'lr', c.lr, 0, 10, true);
  numIn(issues, 'warmup', c.warmup, 0, 0.9);
  numIn(issues, 'valFraction', c.valFraction, 0, 0.9);
  intIn(issues, 'seed', c.seed, 0, 2 ** 31 - 1);
  if (!Array.isArray(c.lossWeights) || c.lossWeights.length !== 3 || c.lossWeights.some((w) => !(w >= 0)))
    issues.push({ path: 'lossWeights', message: 'lossWeights must be three numbers >= 0 (root, vowel, consonant)' });
  if (typeof c.augment !== 'boolean') issues.push({ path: 'augment', message: 'augment must be true or false' });
  if (c.holdout !== null && (typeof c.holdout !== 'string' || c.holdout === ''))
    issues.push({ path: 'holdout', message: 'holdout must be a non-empty source prefix or null' });
  if (typeof c.init !== 'string' || !/^(auto|pretrained|scratch|run:[1-9]\d*)$/.test(c.init))
    issues.push({
      path: 'init',
      message: `init must be auto, pretrained, scratch or run:N (an earlier run's id), got ${JSON.stringify(c.init)}`,
    });
  if (issues.length)
    throw new AppError('bad_input', `Invalid training config: ${issues.map((i) => i.message).join('; ')}`, issues);
  return c;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Training types shared by the service, the trainer process and the renderer. Pure data. */
import { z } from 'zod';
import type { Component } from './domain.js';

export const ARCHS = ['resnet34', 'resnet18'] as const;
export type Arch = (typeof ARCHS)[number];
/** `wgsl`: this app's own WebGPU kernels and fixed plan (train/webgpu/); `webgpu`: tfjs-backend-webgpu. */
export const ENGINES = ['auto', 'wgsl', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type EngineChoice = (typeof ENGINES)[number];
export const EVAL_SPLITS = ['val', 'train', 'all'] as const;
export type EvalSplit = (typeof EVAL_SPLITS)[number];

export interface TrainConfig {
  arch: Arch;
  /** Input side in pixels; the cache holds 64 at import, other sizes are preprocessed in the trainer. */
  size: number;
  /** Width of the first stage (64 = the real ResNet); smaller values make tests and previews fast. */
  baseWidth: number;
  epochs: number;
  batch: number;
  /** Peak learning rate of the warm-up + cosine schedule. */
  lr: number;
  /** Fraction of all steps spent warming up linearly to `lr`. */
  warmup: number;
  /** Loss weights of the root, vowel and consonant cross-entropies. */
  lossWeights: [number, number, number];
  engine: EngineChoice;
  /** Fraction of each root class held out for validation. */
  valFraction: number;
  augment: boolean;
  seed: number;
  /**
   * When set, the validation set is every labeled image whose source path
   * contains this text (e.g. one writer's scan) and training uses all others:
   * a measure on handwriting the model never saw.
   */
  holdout: string | null;
  /**
   * Where the first weights come from: 'pretrained' (the model shipped with the
   * app, trained on rendered graphemes), 'scratch', 'run:N' (an earlier run's
   * checkpoint), or 'auto' (pretrained where shipped weights fit the arch and
   * size, else scratch).
   */
  init: InitChoice;
  /**
   * Fraction of each batch drawn from rendered graphemes (src-main/synth) instead of labeled images:
   * with a handful of labels per root, the renders keep the roots that have no label alive.
   */
  synthMix: number;
  /** Label smoothing of the three cross-entropies (0 = plain one-hot targets). */
  labelSmoothing: number;
  /** After the last epoch, batch-norm statistics re-estimated on the labeled (real) training images alone. */
  bnRecalibrate: boolean;
  /** Elastic distortion and random erasing on top of the affine / stroke / cutout augmentation. */
  strongAugment: boolean;
  /**
   * How often a checkpoint is written: at the first batch or epoch end once this many seconds of
   * training have passed since the last one, and always at the end and at a stop; 0 = after every
   * epoch. A ResNet-34 checkpoint with Adam's moments is about 250 MB (1-3 s to write and check).
   */
  checkpointSeconds: number;
}

export const INIT_CHOICES = ['auto', 'pretrained', 'scratch'] as const;
export type InitChoice = (typeof INIT_CHOICES)[number] | `run:${number}`;
type Input = { input?: unknown };
const got = (iss: Input) => `got ${JSON.stringify(iss.input)}`;
/** An integer field in min..max; every failure (type, fraction, range) names the field and the range. */
function intIn(name: string, min: number, max: number, { below }: { below?: (iss: Input) => string } = {}) {
  const error = (iss: Input) => `${name} must be an integer in ${min}..${max}, ${got(iss)}`;
  return z
    .number({ error })
    .int({ error })
    .min(min, { error: below ?? error })
    .max(max, { error });
}
function numIn(name: string, min: number, max: number, { openMin = false } = {}) {
  const error = (iss: Input) => `${name} must be a number in ${openMin ? '(' : '['}${min}, ${max}], ${got(iss)}`;
  const n = z.number({ error });
  return (openMin ? n.gt(min, { error }) : n.min(min, { error })).max(max, { error });
}

const WEIGHTS = 'lossWeights must be three numbers >= 0 (root, vowel, consonant)';
const weight = z.number({ error: WEIGHTS }).min(0, { error: WEIGHTS });
const HOLDOUT = 'holdout must be a non-empty source prefix or null';

/** The one sentence for a refused config, whoever checks it (dispatcher or trainer). */
export const trainConfigError = (messages: string[]) => `Invalid training config: ${messages.join('; ')}`;

/**
 * A complete training config with its real ranges: the one check, whose
 * messages name the field (the trainer merges defaults first, then parses).
 */
export const trainConfigSchema = z.strictObject(
  {
    arch: z.enum(ARCHS, { error: (iss) => `unknown arch ${JSON.stringify(iss.input)}; use ${ARCHS.join(' or ')}` }),
    // Five stride-2 reductions: below 32 pixels the last stage would see a 0x0 map.
    size: intIn('size', 32, 512),
    baseWidth: intIn('baseWidth', 4, 256),
    epochs: intIn('epochs', 1, 10_000),
    batch: intIn('batch', 1, 4096, { below: (iss) => `batch must be >= 1, ${got(iss)}` }),
    lr: numIn('lr', 0, 10, { openMin: true }),
    warmup: numIn('warmup', 0, 0.9),
    lossWeights: z.tuple([weight, weight, weight], { error: WEIGHTS }),
    engine: z.enum(ENGINES, {
      error: (iss) => `unknown engine ${JSON.stringify(iss.input)}; use ${ENGINES.join(', ')}`,
    }),
    valFraction: numIn('valFraction', 0, 0.9),
    augment: z.boolean({ error: 'augment must be true or false' }),
    seed: intIn('seed', 0, 2 ** 31 - 1),
    holdout: z.string({ error: HOLDOUT }).min(1, { error: HOLDOUT }).nullable(),
    init: z.custom<InitChoice>((v) => typeof v === 'string' && /^(auto|pretrained|scratch|run:[1-9]\d*)$/.test(v), {
      error: (iss) => `init must be auto, pretrained, scratch or run:N (an earlier run's id), ${got(iss)}`,
    }),
    synthMix: numIn('synthMix', 0, 0.9),
    labelSmoothing: numIn('labelSmoothing', 0, 0.5),
    bnRecalibrate: z.boolean({ error: 'bnRecalibrate must be true or false' }),
    strongAugment: z.boolean({ error: 'strongAugment must be true or false' }),
    checkpointSeconds: numIn('checkpointSeconds', 0, 86_400),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys' ? iss.keys.map((k) => `unknown config field ${k}`).join('; ') : undefined,
  },
);

export interface HeadMetrics {
  loss: number;
  accuracy: number;
  macroRecall: number;
}
export interface EvalMetrics {
  samples: number;
  loss: number;
  hierarchicalRecall: number;
  root: HeadMetrics;
  vowel: HeadMetrics;
  consonant: HeadMetrics;
}
/** Rows = true class, columns = predicted class. */
export type Confusion = Record<Component, number[][]>;

export interface EngineInfo {
  engine: string;
  device: string;
  reason: string;
}

/**
 * Which engine a run gets on this machine (the trainer's own automatic
 * choice, probed once), and when that is a processor engine slower than the
 * native one: how much faster native would be and the command that builds it.
 */
export interface EngineStatus extends EngineInfo {
  native: { command: string; speedup: number; figures: string } | null;
  /** Every engine a user can choose (auto aside): whether it runs here and, where not, why. */
  options: EngineOption[];
}

/** One engine as probed here: `note` is the device where it runs, or the reason it does not. */
export interface EngineOption {
  engine: Exclude<EngineChoice, 'auto'>;
  available: boolean;
  note: string;
  /** Runs on a GPU; false for a software adapter (lavapipe), which is for checks, not for training. */
  gpu: boolean;
}

/**
 * Images/s measured on a 2-core machine (ResNet-34 with three
 * heads, 64x64, batch 32; `npm run bench`, bench/train.bench.ts; wasm 4.8-6.8,
 * native 95 with tfjs Adam, src-main/train/README.md). Only their
 * ratio is shown: absolute speed depends on the processor.
 */
export const MEASURED_IMAGES_PER_SEC: Readonly<Record<string, number>> = { tensorflow: 95, wasm: 6, cpu: 0.1 };
/** Builds @tensorflow/tfjs-node offline from a local TensorFlow C library (README, "Native engine"). */
export const NATIVE_ENGINE_COMMAND = 'npm run provision:native';

export function engineStatus(info: EngineInfo, options: EngineOption[] = []): EngineStatus {
  const slow = MEASURED_IMAGES_PER_SEC[info.engine];
  const fast = MEASURED_IMAGES_PER_SEC.tensorflow!;
  if (info.engine === 'tensorflow' || info.engine === 'webgpu' || !slow) return { ...info, native: null, options };
  return {
    ...info,
    options,
    native: {
      command: NATIVE_ENGINE_COMMAND,
      speedup: fast / slow,
      figures: `${fast} vs ${slow} images/s, ResNet-34 64x64 batch 32 on 2 cores`,
    },
  };
}

export interface BatchPoint {
  step: number;
  epoch: number;
  /** The weighted sum of the three heads' cross-entropies: what the optimizer minimizes. */
  loss: number;
  lr: number;
  /** Each head's own (unweighted) cross-entropy on the batch; null in runs recorded before schema 3. */
  root?: number | null;
  vowel?: number | null;
  consonant?: number | null;
}

export interface TrainingProgress extends EngineInfo {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  step: number;
  /** Loss of the latest batch and its moving average. */
  loss: number;
  smoothedLoss: number;
  lr: number;
  imagesPerSec: number;
  etaSeconds: number;
  /** Every batch since the previous progress event. */
  points: BatchPoint[];
}

export interface EpochResult {
  epoch: number;
  trainLoss: number;
  lr: number;
  seconds: number;
  imagesPerSec: number;
  val: EvalMetrics | null;
  confusion: Confusion | null;
}

export interface TopK {
  classId: number;
  prob: number;
}
export type Prediction = { imageId: number } & Record<Component, TopK[]>;

/** Where the pretrained model's record came from, and how well it did on real handwriting before any label. */
export interface PretrainedSource {
  /** The shipped folder (resources/pretrained/<arch>-<size>). */
  dir: string;
  trainedOn: string;
  /** Zero-shot hierarchical recall on the starter set's 405 real images (its model card), or null if not measured. */
  zeroShot: number | null;
  zeroShotOn: string | null;
}

/** The run id of the shipped pretrained model in every project: the model in the loop before any training run. */
export const PRETRAINED_RUN_ID = 0;

export type RunStatus = 'queued' | 'running' | 'stopped' | 'done' | 'failed';

export interface SplitReport {
  train: number;
  val: number;
  /** Root classes with a single labeled example: they stay in training only. */
  singletons: number;
  method: string;
}

export interface RunSummary {
  split?: SplitReport;
  engineReason?: string;
  epochsDone?: number;
  /** Validation metrics of the latest epoch. */
  metrics?: EvalMetrics | null;
  resumes?: number;
  /** What the first weights were: 'pretrained', 'scratch' or 'run:N'. */
  initFrom?: string;
  /** Process id of the trainer while it runs (to tell a live run from an orphan). */
  pid?: number;
  /** Set on the record of the shipped pretrained model (run 0): it learned rendered graphemes only. */
  pretrained?: PretrainedSource;
  /** Set on a run created by importing an exported model folder. */
  imported?: ImportedFrom;
  /** Where the run's model was exported, latest last. */
  exports?: { out: string; format: ExportFormat; at: number }[];
}

export interface RunRecord {
  id: number;
  createdAt: number;
  finishedAt: number | null;
  status: RunStatus;
  config: TrainConfig;
  engine: string | null;
  device: string | null;
  error: string | null;
  summary: RunSummary;
  checkpoint: string | null;
}

export type EpochRecord = EpochResult;

export interface RunDetail extends RunRecord {
  epochs: EpochRecord[];
  batches: BatchPoint[];
}

export const EXPORT_FORMATS = ['tfjs', 'onnx', 'all'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What `runs.export` wrote: the folder and its files (paths relative to it). */
export interface ModelExport {
  runId: number;
  format: ExportFormat;
  out: string;
  files: { path: string; bytes: number }[];
}

/** Where an imported run came from (its model card). */
export interface ImportedFrom {
  dir: string;
  sourceRunId: number;
  exportedAt: string;
  appVersion: string;
}

/** What `runs.importModel` created: a done run whose checkpoint is the exported TF.js model. */
export interface ModelImport {
  runId: number;
  run: RunRecord;
}

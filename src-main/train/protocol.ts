/** Typed messages between the service (parent) and the trainer process (child). */
import type {
  EngineInfo,
  EngineOption,
  EpochResult,
  EvalMetrics,
  Confusion,
  EvalSplit,
  TrainConfig,
  TrainingProgress,
} from '../contract/training.js';

export type { EngineInfo, EpochResult } from '../contract/training.js';

export type ToWorker =
  | {
      type: 'train';
      dbPath: string;
      runId: number;
      config: TrainConfig;
      checkpointDir: string;
      resume: boolean;
      /** The user gave no size: 64 on CPU engines, GPU_DEFAULT_SIZE on GPU engines. */
      autoSize: boolean;
      /** Checkpoint whose weights (and normalization) a new run starts from; null = scratch. Ignored on resume. */
      initDir?: string | null;
    }
  | {
      type: 'eval';
      dbPath: string;
      runId: number;
      checkpointDir: string;
      split: EvalSplit;
      engine: TrainConfig['engine'];
    }
  | {
      type: 'predict';
      dbPath: string;
      checkpointDir: string;
      imageIds: number[];
      engine: TrainConfig['engine'];
    }
  /** Only report the engine `auto` picks here (answered by an 'engine' message). */
  | { type: 'probe' }
  | { type: 'stop' };

export type FromWorker =
  /** `options` only in answer to a probe: every engine, whether it runs here and why not. */
  | ({ type: 'engine'; size: number; options?: EngineOption[] } & EngineInfo)
  | ({ type: 'progress' } & TrainingProgress)
  | ({ type: 'epoch' } & EpochResult)
  | { type: 'checkpoint'; epoch: number; step: number; dir: string }
  | { type: 'done'; epochs: number }
  | { type: 'stopped'; epoch: number; step: number }
  | { type: 'failed'; error: string }
  | { type: 'evaluated'; metrics: EvalMetrics; confusion: Confusion }
  /** Per image, in the order asked: 168 root, 11 vowel, then 7 consonant probabilities. */
  | { type: 'predicted'; probs: number[][] };

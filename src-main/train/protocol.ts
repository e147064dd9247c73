/** Typed messages between the service (parent) and the trainer process (child). */
import type { Component } from '../contract/domain.js';
import type { TrainConfig } from './config.js';
import type { Confusion, EvalMetrics } from './metrics.js';

export type EvalSplit = 'val' | 'train' | 'all';

export type ToWorker =
  | { type: 'train'; dbPath: string; runId: number; config: TrainConfig; checkpointDir: string; resume: boolean }
  | { type: 'eval'; dbPath: string; runId: number; checkpointDir: string; split: EvalSplit; engine: TrainConfig['engine'] }
  | {
      type: 'predict';
      dbPath: string;
      checkpointDir: string;
      imageIds: number[];
      k: number;
      engine: TrainConfig['engine'];
    }
  | { type: 'stop' };

export interface EngineInfo {
  engine: string;
  device: string;
  reason: string;
}

export interface BatchPoint {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
}

export interface Progress extends EngineInfo {
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
  /** Every batch since the previous progress message, for the live chart and the run record. */
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

export type FromWorker =
  | ({ type: 'engine' } & EngineInfo)
  | { type: 'split'; train: number; val: number }
  | ({ type: 'progress' } & Progress)
  | ({ type: 'epoch' } & EpochResult)
  | { type: 'checkpoint'; epoch: number; step: number; dir: string }
  | { type: 'done'; epochs: number }
  | { type: 'stopped'; epoch: number; step: number }
  | { type: 'failed'; error: string }
  | { type: 'evaluated'; metrics: EvalMetrics; confusion: Confusion }
  | { type: 'predicted'; predictions: Prediction[] };

/** Events pushed from the service to every connected front end. */
import type { Rejection } from './domain.js';
import type { EpochResult, EvalMetrics, TrainingProgress } from './training.js';

export interface ImportProgress {
  jobId: string;
  kind: 'folder' | 'parquet' | 'labels';
  /** Items looked at so far (files, rows). */
  done: number;
  /** Items expected, when known. */
  total: number | null;
  imported: number;
  duplicates: number;
  rejected: number;
  /** The latest rejection, so a UI can show it as it happens. */
  lastRejection?: Rejection;
}

export interface Events {
  'import.progress': ImportProgress;
  'import.done': {
    jobId: string;
    imported: number;
    duplicates: number;
    labeled: number;
    rejected: number;
    cancelled: boolean;
  };
  'labels.changed': { imageIds: number[]; annotator: string };
  /** The trainer picked its engine (and says why). */
  'training.started': { runId: number; engine: string; device: string; reason: string };
  /** Throttled to a few per second; `points` holds every batch since the last one. */
  'training.progress': { runId: number } & TrainingProgress;
  'training.epoch': { runId: number } & EpochResult;
  'training.done': { runId: number; status: 'done' | 'stopped'; metrics: EvalMetrics | null };
  'training.failed': { runId: number; error: string };
}
export type EventName = keyof Events;

/** One entry per event, checked against `Events`: a new event cannot be left out of the list. */
const EVENT_SET = {
  'import.progress': true,
  'import.done': true,
  'labels.changed': true,
  'training.started': true,
  'training.progress': true,
  'training.epoch': true,
  'training.done': true,
  'training.failed': true,
} as const satisfies Record<EventName, true>;

/** Every event name, for transports that subscribe per name (server-sent events). */
export const EVENT_NAMES = Object.keys(EVENT_SET) as EventName[];

/**
 * The Train view's chart data, shaped from a run's batch points and epoch
 * records: plain arrays in uPlot's aligned form (x first, then one array per
 * series, null where a series has no value at that x).
 */
import { smoothNext } from '$contract/smoothing';
import { COMPONENTS } from '$contract/domain';
import type { BatchPoint, EpochRecord, EvalMetrics } from '$contract/training';

export interface LossSeries {
  step: number[];
  epoch: number[];
  loss: number[];
  /** Smoothed as the trainer's smoothedLoss (contract/smoothing.ts). */
  smoothed: number[];
  /** Each head's batch cross-entropy, smoothed the same way; null where the run did not record it. */
  root: (number | null)[];
  vowel: (number | null)[];
  consonant: (number | null)[];
}

/** One chart's data: x values, then each series' values at them. */
export type Aligned = [number[], ...(number | null)[][]];

export const emptySeries = (): LossSeries => ({
  step: [],
  epoch: [],
  loss: [],
  smoothed: [],
  root: [],
  vowel: [],
  consonant: [],
});

/** The app's loss smoothing continued from the series' last value; a head a run did not record stays null. */
function ema(prev: number | null | undefined, value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : smoothNext(prev, value);
}

/** Adds the points after the series' last step (an event may repeat points the stored record had). */
export function appendPoints(s: LossSeries, points: readonly BatchPoint[]): void {
  const last = s.step.length ? s.step[s.step.length - 1]! : 0;
  for (const p of points) {
    if (p.step <= last) continue;
    s.smoothed.push(ema(s.smoothed[s.smoothed.length - 1], p.loss)!);
    for (const h of COMPONENTS) s[h].push(ema(s[h][s[h].length - 1], p[h]));
    s.step.push(p.step);
    s.epoch.push(p.epoch);
    s.loss.push(p.loss);
  }
}

/**
 * Batch losses by step (batch, smoothed, root, vowel, consonant), then each epoch's validation losses
 * (summed, root, vowel, consonant) on that epoch's last batch: one x axis.
 */
export function lossData(s: LossSeries, epochs: readonly EpochRecord[]): Aligned {
  const perEpoch = new Map(epochs.map((e) => [e.epoch, e.val]));
  const at = (f: (v: EvalMetrics) => number) =>
    s.epoch.map((e, i) => {
      const v = s.epoch[i + 1] !== e ? perEpoch.get(e) : undefined;
      return v ? f(v) : null;
    });
  return [
    s.step,
    s.loss,
    s.smoothed,
    s.root,
    s.vowel,
    s.consonant,
    at((v) => v.loss),
    at((v) => v.root.loss),
    at((v) => v.vowel.loss),
    at((v) => v.consonant.loss),
  ];
}

/**
 * Validation metrics by epoch: hierarchical recall, accuracy per head, macro recall per head; epochs
 * without validation are left out.
 */
export function epochData(epochs: readonly EpochRecord[]): Aligned {
  const val = epochs.filter((e): e is EpochRecord & { val: EvalMetrics } => e.val !== null);
  const col = (f: (v: EvalMetrics) => number) => val.map((e) => f(e.val));
  return [
    val.map((e) => e.epoch),
    col((v) => v.hierarchicalRecall),
    col((v) => v.root.accuracy),
    col((v) => v.vowel.accuracy),
    col((v) => v.consonant.accuracy),
    col((v) => v.root.macroRecall),
    col((v) => v.vowel.macroRecall),
    col((v) => v.consonant.macroRecall),
  ];
}

/**
 * The loss curves' smoothing, one definition for the trainer's
 * `smoothedLoss`, the Train view and the runs comparison: an exponential
 * moving average that keeps 0.9 of the past at every batch.
 */
export function smoothNext(prev: number | null | undefined, value: number): number {
  return prev === null || prev === undefined || Number.isNaN(prev) ? value : 0.9 * prev + 0.1 * value;
}

/** The Train view's chart data: batch points into series, series and epochs into aligned chart columns. */
import { describe, expect, it } from 'vitest';
import { smoothNext } from '../../../src-main/contract/smoothing.js';
import type { BatchPoint, EpochRecord, EvalMetrics } from '../../../src-main/contract/training.js';
import { appendPoints, emptySeries, epochData, lossData } from '../../../src-renderer/src/lib/state/train-series.js';

const point = (step: number, epoch: number, loss: number, heads?: [number, number, number]): BatchPoint => ({
  step,
  epoch,
  loss,
  lr: 0.001,
  ...(heads ? { root: heads[0], vowel: heads[1], consonant: heads[2] } : {}),
});

const val = (loss: number, hr: number): EvalMetrics => ({
  samples: 10,
  loss,
  hierarchicalRecall: hr,
  root: { loss: loss / 2, accuracy: 0.1, macroRecall: 0.11 },
  vowel: { loss: loss / 4, accuracy: 0.5, macroRecall: 0.55 },
  consonant: { loss: loss / 8, accuracy: 0.7, macroRecall: 0.77 },
});
const epoch = (n: number, v: EvalMetrics | null): EpochRecord => ({
  epoch: n,
  trainLoss: 1,
  lr: 0.001,
  seconds: 1,
  imagesPerSec: 10,
  val: v,
  confusion: null,
});

describe('loss series', () => {
  it('smooths as the trainer does, keeps heads a run did not record as null, and skips repeated steps', () => {
    const s = emptySeries();
    appendPoints(s, [point(1, 1, 4, [2, 1, 1]), point(2, 1, 2, [1, 0.5, 0.5])]);
    // A progress event may repeat points the stored record already had.
    appendPoints(s, [point(2, 1, 2, [1, 0.5, 0.5]), point(3, 2, 1)]);
    expect(s.step).toEqual([1, 2, 3]);
    expect(s.epoch).toEqual([1, 1, 2]);
    expect(s.loss).toEqual([4, 2, 1]);
    const s2 = smoothNext(4, 2);
    expect(s.smoothed).toEqual([smoothNext(undefined, 4), s2, smoothNext(s2, 1)]);
    expect(s.smoothed[1]).not.toBe(2);
    expect(s.root).toEqual([smoothNext(undefined, 2), smoothNext(2, 1), null]);
    expect(s.consonant[1]).toBe(smoothNext(1, 0.5));
  });

  it("puts each epoch's validation losses on its last batch", () => {
    const s = emptySeries();
    appendPoints(s, [point(1, 1, 4), point(2, 1, 3), point(3, 2, 2), point(4, 2, 1), point(5, 3, 1)]);
    const [x, batch, , , , , vLoss, vRoot, vVowel, vConsonant, ...rest] = lossData(s, [
      epoch(1, val(8, 0.2)),
      epoch(2, null),
      epoch(3, val(4, 0.3)),
    ]);
    expect(rest).toEqual([]);
    expect(x).toEqual([1, 2, 3, 4, 5]);
    expect(batch).toEqual([4, 3, 2, 1, 1]);
    // Epoch 2 had no validation; epoch 3's last batch so far is step 5.
    expect(vLoss).toEqual([null, 8, null, null, 4]);
    expect(vRoot).toEqual([null, 4, null, null, 2]);
    expect(vVowel).toEqual([null, 2, null, null, 1]);
    expect(vConsonant).toEqual([null, 1, null, null, 0.5]);
  });
});

describe('epoch metrics', () => {
  it('has one column per validated epoch: hierarchical recall, accuracy and macro recall per head', () => {
    const data = epochData([epoch(1, val(8, 0.2)), epoch(2, null), epoch(3, val(4, 0.3))]);
    expect(data).toEqual([
      [1, 3],
      [0.2, 0.3],
      [0.1, 0.1],
      [0.5, 0.5],
      [0.7, 0.7],
      [0.11, 0.11],
      [0.55, 0.55],
      [0.77, 0.77],
    ]);
    expect(epochData([])).toEqual([[], [], [], [], [], [], [], []]);
  });
});

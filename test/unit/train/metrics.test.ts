import { describe, expect, it } from 'vitest';
import {
  accuracy,
  confusionMatrix,
  crossEntropy,
  evaluateHeads,
  fromConfusion,
  hierarchicalRecall,
  macroRecall,
} from '../../../src-main/train/metrics.js';

describe('macroRecall (scikit-learn recall_score average=macro)', () => {
  it('averages over classes in y_true or y_pred; a predicted-only class counts 0', () => {
    // class 0: 1/2, class 1: 2/2, class 2: 0/1, class 3 (predicted only): 0 -> 1.5 / 4
    expect(macroRecall([0, 0, 1, 1, 2], [0, 1, 1, 1, 3])).toBeCloseTo(0.375, 12);
  });
  it('ignores classes absent from both', () => {
    // classes 5 and 9 only: 5 -> 2/3, 9 -> 1/1
    expect(macroRecall([5, 5, 5, 9], [5, 5, 9, 9])).toBeCloseTo((2 / 3 + 1) / 2, 12);
  });
  it('is 1 for a perfect prediction and 0 when all wrong', () => {
    expect(macroRecall([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(macroRecall([1, 1], [2, 2])).toBe(0);
  });
  it('rejects mismatched and empty inputs', () => {
    expect(() => macroRecall([1], [1, 2])).toThrow('y_true has 1 labels but y_pred has 2');
    expect(() => macroRecall([], [])).toThrow('empty');
  });
});

describe('hierarchical recall and friends', () => {
  it('weights root:vowel:consonant 2:1:1', () => {
    expect(hierarchicalRecall({ root: 0.5, vowel: 1, consonant: 0 })).toBe(0.5);
    expect(hierarchicalRecall({ root: 1, vowel: 0, consonant: 0 })).toBe(0.5);
  });
  it('accuracy and confusion (rows = true class)', () => {
    expect(accuracy([0, 1, 2, 2], [0, 2, 2, 2])).toBe(0.75);
    expect(confusionMatrix([0, 1, 2, 2], [0, 2, 2, 1], 3)).toEqual([
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 1],
    ]);
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow('class 3 outside 0..2');
  });
  it('cross-entropy of probabilities', () => {
    expect(crossEntropy([0.5, 0.5, 0.25, 0.75], 2, [0, 1])).toBeCloseTo(-(Math.log(0.5) + Math.log(0.75)) / 2, 12);
  });
  it('evaluateHeads: metrics agree with the confusion matrices', () => {
    const root = { labels: [0, 0, 1, 2], probs: [0.9, 0.1, 0, 0.2, 0.7, 0.1, 0, 1, 0, 0.1, 0.1, 0.8], classes: 3 };
    const vowel = { labels: [0, 1, 1, 0], probs: [1, 0, 0, 1, 1, 0, 1, 0], classes: 2 };
    const consonant = { labels: [0, 0, 0, 0], probs: [1, 0, 1, 0, 0, 1, 1, 0], classes: 2 };
    const { metrics, confusion } = evaluateHeads({ root, vowel, consonant });
    // root preds 0,1,1,2 -> recalls 1/2, 1, 1 ; vowel preds 0,1,0,0 -> 1, 1/2 ; consonant preds 0,0,1,0 -> 3/4, 0
    expect(metrics.root.macroRecall).toBeCloseTo(2.5 / 3, 12);
    expect(metrics.vowel.macroRecall).toBeCloseTo(0.75, 12);
    expect(metrics.consonant.macroRecall).toBeCloseTo(0.375, 12);
    expect(metrics.hierarchicalRecall).toBeCloseTo((2 * (2.5 / 3) + 0.75 + 0.375) / 4, 12);
    for (const c of ['root', 'vowel', 'consonant'] as const) {
      const back = fromConfusion(confusion[c]);
      expect(back.macroRecall).toBeCloseTo(metrics[c].macroRecall, 12);
      expect(back.accuracy).toBeCloseTo(metrics[c].accuracy, 12);
    }
  });
});

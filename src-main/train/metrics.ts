/**
 * Validation metrics computed by our own code (tfjs-layers 4.22 mis-keys the
 * validation logs of multi-output models). Pure functions, no tfjs.
 */
import { COMPONENTS, type Component } from '../contract/domain.js';
import type { Confusion, EvalMetrics, HeadMetrics } from '../contract/training.js';

/**
 * Macro-averaged recall exactly as scikit-learn's recall_score(average='macro'):
 * the mean over every class present in y_true or y_pred; a class that is only
 * predicted has recall 0.
 */
export function macroRecall(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  if (yTrue.length !== yPred.length)
    throw new Error(`y_true has ${yTrue.length} labels but y_pred has ${yPred.length}`);
  if (yTrue.length === 0) throw new Error('macro recall of an empty set is undefined');
  const support = new Map<number, number>();
  const hits = new Map<number, number>();
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i]!;
    const p = yPred[i]!;
    support.set(t, (support.get(t) ?? 0) + 1);
    if (!support.has(p)) support.set(p, 0);
    if (t === p) hits.set(t, (hits.get(t) ?? 0) + 1);
  }
  let sum = 0;
  for (const [cls, n] of support) sum += n === 0 ? 0 : (hits.get(cls) ?? 0) / n;
  return sum / support.size;
}

export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  if (yTrue.length !== yPred.length)
    throw new Error(`y_true has ${yTrue.length} labels but y_pred has ${yPred.length}`);
  let hit = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hit++;
  return yTrue.length ? hit / yTrue.length : 0;
}

/** n x n counts, rows = true class, columns = predicted class. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, n: number): number[][] {
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i]!;
    const p = yPred[i]!;
    if (t < 0 || t >= n || p < 0 || p >= n) throw new Error(`class ${t < 0 || t >= n ? t : p} outside 0..${n - 1}`);
    m[t]![p]!++;
  }
  return m;
}

/** The competition metric: macro recalls weighted 2:1:1 (root:vowel:consonant). */
export function hierarchicalRecall(r: { root: number; vowel: number; consonant: number }): number {
  return (2 * r.root + r.vowel + r.consonant) / 4;
}

export type { Confusion, EvalMetrics, HeadMetrics } from '../contract/training.js';

/** Arg-max of each row of a row-major [rows, n] probability matrix. */
export function argmaxRows(probs: ArrayLike<number>, n: number): Int32Array {
  const rows = probs.length / n;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < n; c++) if (probs[r * n + c]! > probs[r * n + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** Mean cross-entropy of row-major probabilities against integer labels. */
export function crossEntropy(probs: ArrayLike<number>, n: number, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) s -= Math.log(Math.max(probs[i * n + labels[i]!]!, 1e-12));
  return labels.length ? s / labels.length : 0;
}

export interface HeadOutputs {
  labels: ArrayLike<number>;
  probs: ArrayLike<number>;
  classes: number;
}

/** Everything the run record stores per epoch, from the three heads' probabilities. */
export function evaluateHeads(
  heads: Record<Component, HeadOutputs>,
  lossWeights: readonly [number, number, number] = [1, 1, 1],
): { metrics: EvalMetrics; confusion: Confusion } {
  const per = {} as Record<Component, HeadMetrics>;
  const confusion = {} as Confusion;
  let loss = 0;
  COMPONENTS.forEach((c, i) => {
    const h = heads[c];
    const pred = argmaxRows(h.probs, h.classes);
    per[c] = {
      loss: crossEntropy(h.probs, h.classes, h.labels),
      accuracy: accuracy(h.labels, pred),
      macroRecall: macroRecall(h.labels, pred),
    };
    confusion[c] = confusionMatrix(h.labels, pred, h.classes);
    loss += lossWeights[i]! * per[c].loss;
  });
  const metrics: EvalMetrics = {
    samples: heads.root.labels.length,
    loss,
    hierarchicalRecall: hierarchicalRecall({
      root: per.root.macroRecall,
      vowel: per.vowel.macroRecall,
      consonant: per.consonant.macroRecall,
    }),
    ...per,
  };
  return { metrics, confusion };
}

/** Recomputes recall and accuracy from a confusion matrix: the check that the two agree. */
export function fromConfusion(m: number[][]): { accuracy: number; macroRecall: number } {
  let total = 0;
  let diag = 0;
  let classes = 0;
  let recallSum = 0;
  for (let c = 0; c < m.length; c++) {
    const rowSum = m[c]!.reduce((a, b) => a + b, 0);
    const colSum = m.reduce((a, row) => a + row[c]!, 0);
    total += rowSum;
    diag += m[c]![c]!;
    if (rowSum > 0 || colSum > 0) {
      classes++;
      recallSum += rowSum > 0 ? m[c]![c]! / rowSum : 0;
    }
  }
  return { accuracy: total ? diag / total : 0, macroRecall: classes ? recallSum / classes : 0 };
}

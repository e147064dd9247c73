/**
 * What a trained run tells the annotators back: stored predictions, the
 * confusion against today's labels, and the labels it doubts. Pure data.
 */
import type { Component } from './domain.js';
import type { Confusion } from './training.js';

/**
 * Which images runs.score predicts. `val` is the run's validation split: the
 * only images the model never trained on, so the only ones whose labels it
 * may judge (suspects) and whose confusion is honest.
 */
export const SCORE_SCOPES = ['val', 'unlabeled', 'all'] as const;
export type ScoreScope = (typeof SCORE_SCOPES)[number];

export interface ScoreResult {
  runId: number;
  scope: ScoreScope;
  /** Images predicted by this call (already stored ones are skipped unless forced). */
  scored: number;
  /** Images of the scope that now have a stored prediction. */
  stored: number;
  seconds: number;
  engine: string | null;
}

export interface RunConfusion {
  runId: number;
  /** Validation images with a stored prediction and a complete current label. */
  samples: number;
  confusion: Confusion;
}

export interface SuspectComponent {
  component: Component;
  /** The stored label and the probability the model gives it. */
  label: number;
  labelProb: number;
  /** The model's top class (different from the label) and its probability. */
  predicted: number;
  predictedProb: number;
  /** The mean probability of the label's class over the judged images (the model's prior for it). */
  labelPrior: number;
}

export interface Suspect {
  imageId: number;
  /**
   * ln p(label | image) - ln p(label | a typical image) of the most doubted
   * component: how much more strongly this image argues against its label
   * than the model's prior does. The more negative, the more suspect.
   */
  score: number;
  /** Every component on which the model's top class differs from the label, most doubted first. */
  components: SuspectComponent[];
}

export interface SuspectsResult {
  runId: number;
  /** Labeled validation images that were judged (training images never are: the model learned them). */
  checked: number;
  items: Suspect[];
  /** How far the model behind the ranking can be trusted: its hierarchical recall on real images it never learned. */
  reliability: {
    /** Null when it was never measured (a run stopped before its first epoch ended). */
    hierarchicalRecall: number | null;
    /** What that figure was measured on, in words. */
    on: string;
    pretrained: boolean;
  };
}

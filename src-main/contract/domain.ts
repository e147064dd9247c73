/** Domain types shared by every process. Pure data, no behaviour. */

export const COMPONENTS = ['root', 'vowel', 'consonant'] as const;
export type Component = (typeof COMPONENTS)[number];

/** Number of classes per component in the Bengali.AI taxonomy. */
export const CLASS_COUNTS: Record<Component, number> = { root: 168, vowel: 11, consonant: 7 };

export const LABEL_STATES = ['unlabeled', 'labeled', 'unreadable', 'skipped'] as const;
export type LabelState = (typeof LABEL_STATES)[number];

export const SPLITS = ['train', 'val'] as const;
export type Split = (typeof SPLITS)[number];

export interface TaxonomyClass {
  id: number;
  glyph: string;
}
export type Taxonomy = Record<Component, TaxonomyClass[]>;

export interface ImageSummary {
  id: number;
  imageId: string;
  source: string;
  width: number;
  height: number;
  state: LabelState;
  root: number | null;
  vowel: number | null;
  consonant: number | null;
  annotator: string | null;
  updatedAt: number | null;
  split: Split | null;
}

export interface ImagePage {
  items: ImageSummary[];
  /** Pass as `after` to get the next page; null at the end. */
  next: number | null;
  /** Images matching the filter, all pages together. */
  total: number;
}

export interface LabelValue {
  state: LabelState;
  root: number | null;
  vowel: number | null;
  consonant: number | null;
}

export interface Stats {
  images: number;
  labeled: number;
  unlabeled: number;
  unreadable: number;
  skipped: number;
  /** Per component, counts of labeled images per class id (index = class id). */
  classCounts: Record<Component, number[]>;
}

export interface Rejection {
  /** File path, or file:row for CSV rows. */
  source: string;
  reason: string;
}

export interface ImportSummary {
  jobId: string;
  imported: number;
  duplicates: number;
  labeled: number;
  rejected: Rejection[];
  cancelled: boolean;
}

export interface UndoResult {
  /** Images whose label the undo/redo changed; empty when there was nothing to do. */
  imageIds: number[];
  canUndo: boolean;
  canRedo: boolean;
}

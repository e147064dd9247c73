/**
 * Every call of the API: its name (`domain.verb`), the runtime schema of its
 * input, and the type of its output. Transports and the dispatcher derive
 * everything from this one table.
 */
import { z } from 'zod';
import type { ImagePage, ImageSummary, ImportSummary, Stats, Taxonomy, UndoResult } from './domain.js';
import { CLASS_COUNTS, COMPONENTS, LABEL_STATES, SPLITS } from './domain.js';
import type {
  Confusion,
  EngineStatus,
  EvalMetrics,
  Prediction,
  RunDetail,
  RunRecord,
  SplitReport,
} from './training.js';
import { EVAL_SPLITS, trainConfigError, trainConfigSchema } from './training.js';
import { EXPORT_FORMATS, type ModelExport, type ModelImport } from './training.js';
import type { ScoreResult, RunConfusion, SuspectsResult } from './insights.js';
import { SCORE_SCOPES } from './insights.js';

const classId = (max: number) =>
  z
    .number()
    .int()
    .min(0)
    .max(max - 1);
const annotator = z.string().trim().min(1, 'annotator name is required').max(100);
const path = z.string().min(1, 'path is required').max(4096);
const uploadBatch = z.string().regex(/^[\w-]{8,64}$/, 'an upload batch id: 8-64 letters, digits, _ or -');

export const labelInput = z
  .object({
    imageId: z.number().int().positive(),
    state: z.enum(LABEL_STATES),
    root: classId(CLASS_COUNTS.root).nullable(),
    vowel: classId(CLASS_COUNTS.vowel).nullable(),
    consonant: classId(CLASS_COUNTS.consonant).nullable(),
    annotator,
  })
  .strict()
  .superRefine((v, ctx) => {
    const complete = v.root !== null && v.vowel !== null && v.consonant !== null;
    if (v.state === 'labeled' && !complete) {
      ctx.addIssue({ code: 'custom', message: 'a labeled image needs root, vowel and consonant', path: ['state'] });
    }
  });

export const pageFilter = z
  .object({
    state: z.enum(LABEL_STATES).optional(),
    root: classId(CLASS_COUNTS.root).optional(),
    vowel: classId(CLASS_COUNTS.vowel).optional(),
    consonant: classId(CLASS_COUNTS.consonant).optional(),
    annotator: z.string().max(100).optional(),
    split: z.enum(SPLITS).optional(),
    /** Model insights: `pred` and `order` read this run's stored predictions (see runs.score). */
    run: z.number().int().min(0).optional(),
    /** Images of the run's validation split (out-of-sample) that it predicted as `cls` (confusion drill-down). */
    pred: z
      .object({ component: z.enum(COMPONENTS), cls: classId(CLASS_COUNTS.root) })
      .strict()
      .optional(),
    /** 'uncertainty': least confident prediction of `run` first (active learning); default: by id. */
    order: z.enum(['id', 'uncertainty']).optional(),
    /** Only images with id greater than this (keyset pagination). */
    after: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).max(1000).default(200),
  })
  .strict();

const empty = z.object({}).strict();
/** 0 is the shipped pretrained model (runs.pretrained); trained runs count from 1. */
const runId = z.number().int().min(0);

export const callSchemas = {
  'project.info': empty,
  'taxonomy.get': empty,
  'stats.get': empty,
  'images.page': pageFilter,
  'images.get': z.object({ id: z.number().int().positive() }).strict(),
  /** Image names (`scan0000/r0c0`) or database ids as text, to images: how the CLI takes `--image`. */
  'images.resolve': z.object({ names: z.array(z.string().min(1).max(1000)).min(1).max(1000) }).strict(),
  /** Every id matching a filter, ascending: lets a virtualized grid jump to any position. */
  'images.ids': pageFilter.omit({ after: true, limit: true }),
  /** Many thumbnails in one JPEG (a contact sheet): one load per block of the Browse grid instead of one per image. */
  'images.sheet': z
    .object({
      ids: z.array(z.number().int().positive()).min(1).max(240),
      width: z.number().int().min(16).max(256).default(96),
    })
    .strict(),
  'labels.set': labelInput,
  'labels.setMany': z
    .object({
      imageIds: z.array(z.number().int().positive()).min(1).max(10_000),
      component: z.enum(COMPONENTS),
      value: z
        .number()
        .int()
        .min(0)
        .max(CLASS_COUNTS.root - 1),
      annotator,
    })
    .strict(),
  'labels.history': z.object({ imageId: z.number().int().positive() }).strict(),
  'labels.undo': z.object({ annotator }).strict(),
  'labels.redo': z.object({ annotator }).strict(),
  'import.folder': z.object({ folder: path, labels: path.optional() }).strict(),
  'import.parquet': z.object({ files: z.array(path).min(1).max(100), labels: path.optional() }).strict(),
  'import.labels': z.object({ csv: path }).strict(),
  /** Folders, .parquet and .csv files at once (what a user drops on the window). */
  /** Files already on the machine that runs the service (dropped on the desktop app, or typed in). */
  'import.paths': z
    .object({ paths: z.array(path).min(1).max(1000), jobId: z.string().min(1).max(100).optional() })
    .strict(),
  /** Imports a batch of files uploaded to /upload/{batch} (browser mode), then removes the uploaded copies. */
  'import.upload': z.object({ batch: uploadBatch, jobId: z.string().min(1).max(100).optional() }).strict(),
  /** Removes an upload batch without importing it (cancelled before the import began). */
  'import.discard': z.object({ batch: uploadBatch }).strict(),
  'import.cancel': z.object({ jobId: z.string().min(1).max(100) }).strict(),
  'export.labels': z.object({ out: path }).strict(),
  /** Any subset of the config, checked against its real ranges; the trainer merges the defaults. */
  'training.start': trainConfigSchema.partial(),
  /** The engine a run would get here and, on a processor-only engine, how to get the native one. */
  'training.engines': empty,
  'training.stop': z.object({ runId }).strict(),
  'training.resume': z.object({ runId }).strict(),
  'runs.list': empty,
  'runs.get': z.object({ runId }).strict(),
  'runs.eval': z.object({ runId, split: z.enum(EVAL_SPLITS).default('val') }).strict(),
  'runs.predict': z
    .object({
      runId,
      imageIds: z.array(z.number().int().positive()).min(1).max(10_000),
      k: z.number().int().min(1).max(CLASS_COUNTS.root).default(3),
    })
    .strict(),
  /** Deletes a run that is not training, with its checkpoints and predictions. */
  'runs.delete': z.object({ runId }).strict(),
  /** Predicts and stores every image of a scope with the run's checkpoint (suggestions, uncertainty, suspects). */
  'runs.score': z
    .object({ runId, scope: z.enum(SCORE_SCOPES).default('val'), force: z.boolean().default(false) })
    .strict(),
  /** Confusion of the run's stored validation predictions against the current labels (what drill-down shows). */
  'runs.confusion': z.object({ runId }).strict(),
  /** Labeled validation images whose out-of-sample prediction most confidently disagrees with the label. */
  'runs.suspects': z.object({ runId, limit: z.number().int().min(1).max(1000).default(100) }).strict(),
  /** Top-k per component for images, from stored predictions; missing ones are predicted now and stored. */
  'runs.suggest': z
    .object({
      runId,
      imageIds: z.array(z.number().int().positive()).min(1).max(1000),
      k: z.number().int().min(1).max(10).default(3),
    })
    .strict(),
  /** Writes a run's model into a new or empty folder: TF.js, ONNX, label map, model card. */
  'runs.export': z.object({ runId, format: z.enum(EXPORT_FORMATS).default('all'), out: path }).strict(),
  /** Makes an exported model folder a finished run of this project, usable for prediction. */
  'runs.importModel': z.object({ dir: path }).strict(),
  /** The shipped pretrained model as run 0 (made on first call): suggestions before any training run. */
  'runs.pretrained': empty,
} as const;

export type Method = keyof typeof callSchemas;
export type Input<M extends Method> = z.input<(typeof callSchemas)[M]>;
/** The input after validation and defaults: what handlers receive. */
export type ParsedInput<M extends Method> = z.output<(typeof callSchemas)[M]>;

export interface ProjectInfo {
  path: string;
  name: string;
  schemaVersion: number;
  appVersion: string;
  /** Why changes cannot be saved (a read-only file or disk); null when they can. */
  readOnly: string | null;
  /** Who made the latest label edit in this project, if anyone. */
  lastAnnotator: string | null;
}

/** Thumbnails of `ids` in rows of `columns`, each cellWidth x cellHeight, as one JPEG data URL. */
export interface ThumbSheet {
  ids: number[];
  columns: number;
  cellWidth: number;
  cellHeight: number;
  dataUrl: string;
}

export interface LabelHistoryEntry {
  id: number;
  at: number;
  annotator: string;
  kind: 'edit' | 'undo' | 'redo' | 'import';
  before: { state: string; root: number | null; vowel: number | null; consonant: number | null };
  after: { state: string; root: number | null; vowel: number | null; consonant: number | null };
}

export interface Outputs {
  'project.info': ProjectInfo;
  'taxonomy.get': Taxonomy;
  'stats.get': Stats;
  'images.page': ImagePage;
  'images.get': ImageSummary;
  'images.resolve': { images: { id: number; name: string }[] };
  'images.ids': { ids: number[] };
  'images.sheet': ThumbSheet;
  'labels.set': ImageSummary;
  'labels.setMany': { updated: number };
  'labels.history': LabelHistoryEntry[];
  'labels.undo': UndoResult;
  'labels.redo': UndoResult;
  'import.folder': ImportSummary;
  'import.parquet': ImportSummary;
  'import.labels': ImportSummary;
  'import.paths': ImportSummary;
  'import.upload': ImportSummary;
  'import.discard': { discarded: boolean };
  'import.cancel': { cancelled: boolean };
  'export.labels': { rows: number; path: string };
  'training.start': { runId: number; split: SplitReport };
  'training.engines': EngineStatus;
  'training.stop': { stopping: boolean };
  'training.resume': { runId: number; fromEpoch: number };
  'runs.list': RunRecord[];
  'runs.get': RunDetail;
  'runs.eval': { runId: number; split: 'val' | 'train' | 'all'; metrics: EvalMetrics; confusion: Confusion };
  'runs.predict': { runId: number; predictions: Prediction[] };
  'runs.delete': { deleted: boolean };
  'runs.score': ScoreResult;
  'runs.confusion': RunConfusion;
  'runs.suspects': SuspectsResult;
  'runs.suggest': { runId: number; predictions: Prediction[] };
  'runs.export': ModelExport;
  'runs.importModel': ModelImport;
  /** Null when this app ships no pretrained model. */
  'runs.pretrained': RunRecord | null;
}
export type Output<M extends Method> = Outputs[M];

/** What a service implements: one handler per call, input already validated. */
export type Handlers = { [M in Method]: (input: ParsedInput<M>) => Promise<Output<M>> | Output<M> };

/**
 * Calls whose refused input reads better in their own words than the dispatcher's
 * "Invalid input for <call>: <field>: <problem>", given every problem's message.
 */
export const inputErrorMessages: { readonly [M in Method]?: (messages: string[]) => string } = {
  'training.start': trainConfigError,
};

export function isMethod(name: string): name is Method {
  return Object.prototype.hasOwnProperty.call(callSchemas, name);
}

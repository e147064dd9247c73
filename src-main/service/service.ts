import { randomUUID } from 'node:crypto';
import type { Handlers, ParsedInput } from '../contract/calls.js';
import { AppError } from '../contract/envelope.js';
import type { ImportSummary } from '../contract/domain.js';
import { exportLabels, labelsCsv } from '../ingest/export-labels.js';
import { importFolder } from '../ingest/folder.js';
import type { ImportOptions } from '../ingest/job.js';
import { importLabels } from '../ingest/labels-csv.js';
import { importParquet } from '../ingest/parquet.js';
import { importPaths } from '../ingest/paths.js';
import { importUpload } from '../ingest/uploads.js';
import { UploadArea } from './uploads.js';
import { existsSync } from 'node:fs';
import type { Project } from '../store/project.js';
import { buildFiles, exportRun } from '../export/export.js';
import { zip } from '../export/zip.js';
import type { ExportFormat } from '../contract/training.js';
import { importModel } from '../export/import.js';
import { Insights } from './insights.js';
import { ensurePretrainedRun } from './pretrained-run.js';
import { thumbSheet } from './thumb-sheet.js';
import { APP_VERSION } from '../shared/app-files.js';
import { storageError } from '../store/storage-errors.js';
import type { Emit } from './emit.js';
import type { TrainerLauncher } from './training/launcher.js';
import { Supervisor } from './training/supervisor.js';
import { dataDir } from './starter.js';
import { dirname } from 'node:path';

export type DownloadRequest = { kind: 'run'; runId: number; format: ExportFormat } | { kind: 'labels' };

export interface Download {
  name: string;
  type: string;
  bytes: Buffer;
}

/**
 * Implements every call of the contract over one open project. It knows
 * nothing of transports: they hand it validated input and relay its events.
 */
export class Service {
  private readonly jobs = new Map<string, AbortController>();
  /** Browser-mode uploads waiting to be imported. */
  readonly uploads: UploadArea;
  private readonly listeners = new Set<Emit>();

  constructor(
    readonly project: Project,
    /** How trainer processes start: child_process.fork by default, utilityProcess in Electron (training/launcher.ts). */
    private readonly options: { trainerLauncher?: TrainerLauncher } = {},
  ) {
    this.uploads = new UploadArea(project);
  }

  /** Predictions of trained runs: confusion drill-down, suspects, suggestions, uncertainty order. */
  private insightsInstance: Insights | undefined;
  get insights(): Insights {
    return (this.insightsInstance ??= new Insights(this.project, () => this.supervisor));
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  subscribe(listener: Emit): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit: Emit = (event, payload) => {
    for (const l of this.listeners) l(event, payload);
  };

  private supervisorInstance: Supervisor | undefined;
  /** Trainer processes; created on first use. */
  get supervisor(): Supervisor {
    return (this.supervisorInstance ??= new Supervisor(this.project, this.emit, this.options.trainerLauncher));
  }

  /** Runs an import as a cancellable job that reports progress as events. */
  private async runImport(
    jobId: string | undefined,
    work: (opts: ImportOptions) => Promise<ImportSummary>,
  ): Promise<ImportSummary> {
    const id = jobId ?? randomUUID();
    const controller = new AbortController();
    this.jobs.set(id, controller);
    try {
      const summary = await work({
        jobId: id,
        signal: controller.signal,
        onProgress: (p) => this.emit('import.progress', p),
      });
      this.emit('import.done', {
        jobId: id,
        imported: summary.imported,
        duplicates: summary.duplicates,
        labeled: summary.labeled,
        rejected: summary.rejected.length,
        cancelled: summary.cancelled,
      });
      if (summary.labeled > 0 || summary.imported > 0)
        this.emit('labels.changed', { imageIds: [], annotator: 'import' });
      return summary;
    } finally {
      this.jobs.delete(id);
    }
  }

  importFolder(input: ParsedInput<'import.folder'>, jobId?: string) {
    return this.runImport(jobId, (opts) => importFolder(this.project, input.folder, input.labels, opts));
  }

  importParquet(input: ParsedInput<'import.parquet'>, jobId?: string) {
    return this.runImport(jobId, (opts) => importParquet(this.project, input.files, input.labels, opts));
  }

  importLabels(input: ParsedInput<'import.labels'>, jobId?: string) {
    return this.runImport(jobId, (opts) => importLabels(this.project, input.csv, opts));
  }

  private undoResult(annotator: string, imageIds: number[]) {
    if (imageIds.length) this.emit('labels.changed', { imageIds, annotator });
    const { labels } = this.project;
    return { imageIds, canUndo: labels.canUndo(annotator), canRedo: labels.canRedo(annotator) };
  }

  readonly handlers: Handlers = withStorageErrors(this, {
    'project.info': () => ({
      path: this.project.path,
      name: this.project.name,
      schemaVersion: this.project.schemaVersion,
      appVersion: APP_VERSION,
      readOnly: this.project.readOnly,
      lastAnnotator: this.project.labels.lastEditor(),
    }),
    'taxonomy.get': () => this.project.taxonomy,
    'stats.get': () => this.project.labels.stats(),
    'images.page': (input) =>
      this.runFilter(input) ? this.project.predictions.page(input) : this.project.images.page(input),
    'images.ids': (input) => ({
      ids: this.runFilter(input) ? this.project.predictions.ids(input) : this.project.images.ids(input),
    }),
    'images.sheet': ({ ids, width }) => thumbSheet(this.project.images, ids, width),
    'images.resolve': ({ names }) => ({ images: names.map((n) => this.resolveImage(n)) }),
    'images.get': ({ id }) => {
      const img = this.project.images.get(id);
      if (!img) throw new AppError('not_found', `Image ${id} does not exist.`);
      return img;
    },
    'labels.set': (input) => {
      const { imageId, annotator, ...value } = input;
      const changed = this.project.labels.apply([{ imageId, ...value }], annotator, 'edit');
      if (changed.length) this.emit('labels.changed', { imageIds: changed, annotator });
      return this.project.images.get(imageId)!;
    },
    'labels.setMany': ({ imageIds, component, value, annotator }) => {
      const { images, labels, taxonomy } = this.project;
      if (value >= taxonomy[component].length) {
        throw new AppError('bad_input', `${component} ${value} is out of range 0..${taxonomy[component].length - 1}`, [
          { path: 'value', message: 'out of range' },
        ]);
      }
      const changes = imageIds.map((id) => {
        const cur = images.get(id);
        if (!cur) throw new AppError('not_found', `Image ${id} does not exist.`);
        const next = { imageId: id, state: cur.state, root: cur.root, vowel: cur.vowel, consonant: cur.consonant };
        next[component] = value;
        const complete = next.root !== null && next.vowel !== null && next.consonant !== null;
        if (complete && (cur.state === 'unlabeled' || cur.state === 'skipped')) next.state = 'labeled';
        return next;
      });
      const changed = labels.apply(changes, annotator, 'edit');
      if (changed.length) this.emit('labels.changed', { imageIds: changed, annotator });
      return { updated: changed.length };
    },
    'labels.history': ({ imageId }) => this.project.labels.historyOf(imageId),
    'labels.undo': ({ annotator }) => this.undoResult(annotator, this.project.labels.undo(annotator)),
    'labels.redo': ({ annotator }) => this.undoResult(annotator, this.project.labels.redo(annotator)),
    'import.folder': (input) => this.importFolder(input),
    'import.parquet': (input) => this.importParquet(input),
    'import.labels': (input) => this.importLabels(input),
    'import.paths': ({ paths, jobId }) => this.runImport(jobId, (opts) => importPaths(this.project, paths, opts)),
    'import.upload': async ({ batch, jobId }) => {
      const dir = this.uploads.batchDir(batch);
      if (!existsSync(dir)) throw new AppError('not_found', `Nothing was uploaded in batch ${batch}.`);
      try {
        return await this.runImport(jobId, (opts) => importUpload(this.project, dir, opts));
      } finally {
        this.uploads.discard(batch);
      }
    },
    'import.discard': ({ batch }) => ({ discarded: this.uploads.discard(batch) }),
    'import.cancel': ({ jobId }) => {
      const job = this.jobs.get(jobId);
      job?.abort();
      return { cancelled: job !== undefined };
    },
    'export.labels': ({ out }) => exportLabels(this.project, out),
    'training.start': (config) => this.supervisor.start(config as Parameters<Supervisor['start']>[0]),
    'training.engines': () => this.supervisor.engineStatus(),
    'training.stop': ({ runId }) => this.supervisor.stop(runId),
    'training.resume': ({ runId }) => this.supervisor.resume(runId),
    'runs.list': () => this.supervisor.list(),
    'runs.get': ({ runId }) => this.supervisor.get(runId),
    'runs.eval': async ({ runId, split }) => ({ runId, split, ...(await this.supervisor.evaluate(runId, split)) }),
    'runs.predict': async ({ runId, imageIds, k }) => ({
      runId,
      predictions: await this.supervisor.predict(runId, imageIds, k),
    }),
    'runs.delete': ({ runId }) => this.insights.deleteRun(runId),
    'runs.score': ({ runId, scope, force }) => this.insights.score(runId, scope, force),
    'runs.confusion': ({ runId }) => this.insights.confusion(runId),
    'runs.suspects': ({ runId, limit }) => this.insights.suspects(runId, limit),
    'runs.suggest': async ({ runId, imageIds, k }) => ({
      runId,
      predictions: await this.insights.suggest(runId, imageIds, k),
    }),
    'runs.export': ({ runId, format, out }) =>
      exportRun(this.project, runId, {
        format,
        out,
        appVersion: APP_VERSION,
        createWithin: [dirname(this.project.path), dataDir()],
      }),
    'runs.importModel': ({ dir }) => importModel(this.project, dir),
    'runs.pretrained': () => ensurePretrainedRun(this.project),
  });

  /** An image by its name, else by its database id written as text. */
  private resolveImage(name: string): { id: number; name: string } {
    const { images } = this.project;
    const byName = images.idByName(name);
    if (byName !== undefined) return { id: byName, name };
    const id = Number(name);
    const img = Number.isInteger(id) && id > 0 ? images.get(id) : undefined;
    if (!img) throw new AppError('not_found', `no image with id or name ${JSON.stringify(name)}`);
    return { id, name: img.imageId };
  }

  /** Whether an image filter reads a run's predictions (`pred`, `order`); they need `run`. */
  private runFilter(f: ParsedInput<'images.ids'>): boolean {
    const wants = f.pred !== undefined || (f.order !== undefined && f.order !== 'id');
    if (wants && f.run === undefined)
      throw new AppError('bad_input', 'pred and order=uncertainty need run', [{ path: 'run', message: 'required' }]);
    if (f.run !== undefined && !this.project.runs.get(f.run))
      throw new AppError('not_found', `run ${f.run} does not exist`);
    return f.run !== undefined;
  }

  /**
   * Downloads for browser mode, where the user cannot name a folder on the server's
   * disk: a run's export as one ZIP archive, and the labels as train.csv.
   */
  download(what: DownloadRequest): Download {
    if (what.kind === 'labels') {
      const base = this.project.name.replace(/[^\w.-]+/g, '_') || 'labels';
      return {
        name: `${base}-labels.csv`,
        type: 'text/csv; charset=utf-8',
        bytes: Buffer.from(labelsCsv(this.project).text),
      };
    }
    if (!this.project.runs.get(what.runId)) throw new AppError('not_found', `run ${what.runId} does not exist`);
    const files = buildFiles(this.project, what.runId, { format: what.format, appVersion: APP_VERSION }, Date.now());
    // One top folder in the archive, as if the export had been written to run-N/.
    const named = new Map([...files].map(([path, data]) => [`run-${what.runId}/${path}`, data]));
    return { name: `run-${what.runId}.zip`, type: 'application/zip', bytes: zip(named) };
  }

  close(): void {
    for (const job of this.jobs.values()) job.abort();
    this.supervisorInstance?.close();
    this.project.close();
  }
}

/**
 * Every handler, with a full or read-only disk reported as such rather than
 * as an internal failure. A synchronous handler stays synchronous.
 */
function withStorageErrors(service: Service, handlers: Handlers): Handlers {
  const wrapped: Record<string, (input: never) => unknown> = {};
  for (const [method, handler] of Object.entries(handlers) as [string, (input: never) => unknown][]) {
    const translate = (err: unknown): never => {
      throw storageError(err, service.project.path) ?? err;
    };
    wrapped[method] = (input) => {
      try {
        const result = handler(input);
        return result instanceof Promise ? result.catch(translate) : result;
      } catch (err) {
        return translate(err);
      }
    };
  }
  return wrapped as unknown as Handlers;
}

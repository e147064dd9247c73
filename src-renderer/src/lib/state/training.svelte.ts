/**
 * The Train view's data: the run on screen (stored record + live events),
 * its batch-loss series and epoch metrics. Batch points go into plain
 * arrays, not reactive proxies: charts read them when `version` ticks, at
 * most once per animation frame, so events at full rate never re-render
 * the view per point.
 */
import { api } from '../api/client';
import type { Events } from '$contract/events';
import type { RunConfusion, SuspectsResult } from '$contract/insights';
import { appendPoints, emptySeries, epochData, lossData, type Aligned, type LossSeries } from './train-series';
import type {
  Confusion,
  EngineChoice,
  EngineOption,
  EngineStatus,
  EpochRecord,
  ModelExport,
  RunDetail,
  RunRecord,
  TrainConfig,
  TrainingProgress,
} from '$contract/training';

/** Below this hierarchical recall a model's predictions (and suspects) are more guess than evidence. */
export const WEAK_RECALL = 0.5;

/** Plain words for an engine name the trainer reports. */
export function engineWords(engine: string | null | undefined): string {
  switch (engine) {
    case 'tensorflow':
      return 'TensorFlow native (CPU or CUDA)';
    case 'wgsl':
      return 'WebGPU, own kernels (graphics card)';
    case 'webgpu':
      return 'WebGPU via TensorFlow.js (graphics card)';
    case 'wasm':
      return 'WebAssembly on the processor';
    case 'cpu':
      return 'plain JavaScript on the processor (slow)';
    default:
      return engine ?? 'not chosen yet';
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '—';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

class TrainingState {
  runs = $state.raw<RunRecord[]>([]);
  run = $state.raw<RunRecord | null>(null);
  epochs = $state.raw<EpochRecord[]>([]);
  progress = $state.raw<TrainingProgress | null>(null);
  /** Bumped (once per frame at most) when `series` got points. */
  version = $state(0);
  error = $state<string | null>(null);
  busy = $state(false);
  /** What `auto` picks here and which engines run at all: probed once, null until known. */
  engines = $state.raw<EngineStatus | null>(null);
  enginesError = $state<string | null>(null);
  #enginesAsked = false;
  /** Not reactive on purpose: see the file comment. */
  series: LossSeries = emptySeries();
  #frame = 0;
  #subscribed = false;
  #loading = 0;
  /** Showing "the newest run" (no ?run=): a run started elsewhere (CLI, another window) takes the screen. */
  #follow = true;

  get running(): boolean {
    return this.run?.status === 'running' || this.run?.status === 'queued';
  }

  /** Probes the engines once per app (a trainer process loads each; it takes a few seconds). */
  loadEngines(): void {
    if (this.#enginesAsked) return;
    this.#enginesAsked = true;
    api.call('training.engines', {}).then(
      (s) => (this.engines = s),
      (err: unknown) => {
        this.#enginesAsked = false;
        this.enginesError = err instanceof Error ? err.message : String(err);
      },
    );
  }

  /** What the probe found for one engine; undefined for `auto`, or while not known yet. */
  engineOption(engine: EngineChoice): EngineOption | undefined {
    return this.engines?.options.find((o) => o.engine === engine);
  }

  /** Why an engine cannot train here; null where it can, or while that is not known yet. */
  unavailable(engine: EngineChoice): string | null {
    const option = this.engineOption(engine);
    return option && !option.available ? option.note : null;
  }

  /** The loss chart's data (see train-series.ts). */
  lossData(): Aligned {
    return lossData(this.series, this.epochs);
  }

  /** The validation-metrics chart's data. */
  epochData(): Aligned {
    return epochData(this.epochs);
  }

  /** A finished run's confusion from its stored predictions against today's labels (what a click opens). */
  confusion(runId: number): Promise<RunConfusion> {
    return api.call('runs.confusion', { runId });
  }

  /** Makes sure the run's validation images have stored predictions, so a confusion cell can list them. */
  async scoreValidation(runId: number): Promise<void> {
    await api.call('runs.score', { runId, scope: 'val', force: false });
  }

  /** Makes sure the project's unlabeled images have the run's predictions (the least-confident queue). */
  async scoreUnlabeled(runId: number): Promise<void> {
    await api.call('runs.score', { runId, scope: 'unlabeled', force: false });
  }

  /** The shipped pretrained model's run (0), made on first use; null when the app ships none. */
  pretrained(): Promise<RunRecord | null> {
    return api.call('runs.pretrained', {});
  }

  /** Labeled validation images whose prediction contradicts the label, most suspect first. */
  suspects(runId: number, limit: number): Promise<SuspectsResult> {
    return api.call('runs.suspects', { runId, limit });
  }

  /** The stored records of some runs, with their curves (the Runs page's overlay). */
  details(runIds: number[]): Promise<RunDetail[]> {
    return Promise.all(runIds.map((runId) => api.call('runs.get', { runId })));
  }

  /** Deletes a run with its checkpoints and predictions, then refreshes the list. */
  async remove(runId: number): Promise<void> {
    await api.call('runs.delete', { runId });
    await this.refreshList();
  }

  exportRun(runId: number, out: string): Promise<ModelExport> {
    return api.call('runs.export', { runId, out, format: 'all' });
  }

  /** The folder of the project file, where exports are suggested. */
  async projectFolder(): Promise<string> {
    const p = await api.call('project.info', {});
    return p.path.replace(/[/\\][^/\\]*$/, '');
  }

  get lastConfusion(): Confusion | null {
    for (let i = this.epochs.length - 1; i >= 0; i--) if (this.epochs[i]!.confusion) return this.epochs[i]!.confusion;
    return null;
  }

  /** Subscribes to the training events once, for the whole app. */
  subscribe(): void {
    if (this.#subscribed) return;
    this.#subscribed = true;
    api.on('training.started', (e) => this.#onStarted(e));
    api.on('training.progress', (e) => this.#onProgress(e));
    api.on('training.epoch', (e) => this.#onEpoch(e));
    api.on('training.done', (e) => this.#onEnd(e.runId, e.status));
    api.on('training.failed', (e) => this.#onEnd(e.runId, 'failed', e.error));
  }

  async refreshList(): Promise<RunRecord[]> {
    try {
      this.runs = await api.call('runs.list', {});
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    }
    return this.runs;
  }

  /** Shows a run (or the newest when none is given) from its stored record: curves survive a reload. */
  async open(runId?: number | null): Promise<void> {
    const generation = ++this.#loading;
    this.#follow = runId === undefined || runId === null;
    const runs = await this.refreshList();
    const id = runId ?? runs[0]?.id;
    if (id === undefined) {
      this.#show(null);
      return;
    }
    try {
      const detail = await api.call('runs.get', { runId: id });
      if (generation !== this.#loading) return;
      this.#show(detail);
    } catch (e) {
      if (generation === this.#loading) this.error = (e as Error).message;
    }
  }

  #show(detail: RunDetail | null): void {
    const series = emptySeries();
    if (detail) appendPoints(series, detail.batches);
    this.series = series;
    this.run = detail;
    this.epochs = detail?.epochs ?? [];
    this.progress = null;
    this.version++;
  }

  async start(config: Partial<TrainConfig>): Promise<void> {
    this.busy = true;
    try {
      const { runId } = await api.call('training.start', config);
      this.error = null;
      await this.open(runId);
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    if (!this.run) return;
    try {
      await api.call('training.stop', { runId: this.run.id });
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  async resume(): Promise<void> {
    if (!this.run) return;
    this.busy = true;
    try {
      // The service waits for a trainer that reported 'stopped' and is still exiting.
      await api.call('training.resume', { runId: this.run.id });
      this.error = null;
      await this.open(this.run.id);
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  #mine(runId: number): boolean {
    return this.run?.id === runId;
  }

  #onStarted(e: Events['training.started']): void {
    if (!this.#mine(e.runId)) {
      if (this.#follow) void this.open(null);
      return;
    }
    this.run = {
      ...this.run!,
      status: 'running',
      engine: e.engine,
      device: e.device,
      summary: { ...this.run!.summary, engineReason: e.reason },
    };
  }

  #onProgress(e: Events['training.progress']): void {
    if (!this.#mine(e.runId)) return;
    appendPoints(this.series, e.points);
    this.progress = e;
    if (this.run!.status !== 'running')
      this.run = { ...this.run!, status: 'running', engine: e.engine, device: e.device };
    this.#tick();
  }

  #onEpoch(e: Events['training.epoch']): void {
    if (!this.#mine(e.runId)) return;
    const { runId: _r, ...epoch } = e;
    this.epochs = [...this.epochs.filter((x) => x.epoch !== epoch.epoch), epoch].sort((a, b) => a.epoch - b.epoch);
  }

  #onEnd(runId: number, status: RunRecord['status'], error?: string): void {
    void this.refreshList();
    if (!this.#mine(runId)) return;
    this.run = { ...this.run!, status, error: error ?? null, finishedAt: Date.now() };
    this.progress = null;
    // The stored record now holds the final metrics (a resumed run kept the stop's until now).
    api.call('runs.get', { runId }).then(
      (detail) => {
        if (this.#mine(runId)) this.run = detail;
      },
      () => {},
    );
  }

  #tick(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.version++;
    });
  }
}

export const training = new TrainingState();

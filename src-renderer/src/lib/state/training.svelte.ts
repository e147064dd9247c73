/**
 * The Train view's data: the run on screen (stored record + live events),
 * its batch-loss series and epoch metrics. Batch points go into plain
 * arrays, not reactive proxies: charts read them when `version` ticks, at
 * most once per animation frame, so events at full rate never re-render
 * the view per point.
 */
import { api } from '../api/client';
import type { Events } from '$contract/events';
import { smoothNext } from '$contract/smoothing';
import type {
  BatchPoint,
  Confusion,
  EpochRecord,
  RunDetail,
  RunRecord,
  TrainConfig,
  TrainingProgress,
} from '$contract/training';

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

const emptySeries = (): LossSeries => ({
  step: [],
  epoch: [],
  loss: [],
  smoothed: [],
  root: [],
  vowel: [],
  consonant: [],
});

const HEADS = ['root', 'vowel', 'consonant'] as const;

/** The app's loss smoothing continued from the series' last value; a head a run did not record stays null. */
function ema(prev: number | null | undefined, value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : smoothNext(prev, value);
}

function appendPoints(s: LossSeries, points: BatchPoint[]): void {
  const last = s.step.length ? s.step[s.step.length - 1]! : 0;
  for (const p of points) {
    if (p.step <= last) continue;
    s.smoothed.push(ema(s.smoothed[s.smoothed.length - 1], p.loss)!);
    for (const h of HEADS) s[h].push(ema(s[h][s[h].length - 1], p[h]));
    s.step.push(p.step);
    s.epoch.push(p.epoch);
    s.loss.push(p.loss);
  }
}

/** Plain words for an engine name the trainer reports. */
export function engineWords(engine: string | null | undefined): string {
  switch (engine) {
    case 'tensorflow':
      return 'TensorFlow native (CPU or CUDA)';
    case 'webgpu':
      return 'WebGPU (graphics card)';
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
    this.run = { ...this.run!, status: 'running', engine: e.engine, device: e.device };
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

/**
 * The service's side of training: creates runs and their splits, starts the
 * trainer process (launcher.ts), turns its messages into run-record
 * writes and events, and reports a crash as a failed run with the reason.
 */
import { AppError } from '../../contract/envelope.js';
import { engineStatus, PRETRAINED_RUN_ID, type EngineStatus } from '../../contract/training.js';
import type {
  Confusion,
  EvalMetrics,
  EvalSplit,
  Prediction,
  RunDetail,
  RunRecord,
  SplitReport,
  TrainConfig,
} from '../../contract/training.js';
import { trainerEntry } from '../../shared/app-files.js';
import { checkpointPath, checkpointProgress } from '../../store/checkpoint-path.js';
import { topKPrediction } from '../../store/predictions.js';
import type { Project } from '../../store/project.js';
import { resolveConfig } from '../../train/config.js';
import type { FromWorker, ToWorker } from '../../train/protocol.js';
import type { Emit } from '../emit.js';
import { forkLauncher, type TrainerLauncher, type TrainerProcess } from './launcher.js';
import { splitForRun } from './run-split.js';
import { recipeFor, resolveInit } from './init-source.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

type Resumed = { runId: number; fromEpoch: number };

interface Live {
  child: TrainerProcess;
  finished: Promise<RunRecord>;
  /** The trainer reported done, stopped or failed; its process is only exiting. */
  ended: boolean;
}

/** Starts, follows and stops trainer processes; the run records they fill live in `project.runs`. */
export class Supervisor {
  private readonly live = new Map<number, Live>();

  constructor(
    private readonly project: Project,
    private readonly emit: Emit,
    private readonly launcher: TrainerLauncher = forkLauncher,
  ) {}

  private get runs() {
    return this.project.runs;
  }

  private checkpointDir(runId: number): string {
    return this.project.runDir(runId).checkpoint;
  }

  /** Validates the config, fixes the split, records the run and starts training. */
  start(partial: Partial<TrainConfig>): { runId: number; split: SplitReport } {
    const resolved = resolveConfig(partial);
    // Once the engines are probed, a choice that cannot run here is refused instead of recorded as a failed run.
    const off = this.probed?.options.find((o) => o.engine === resolved.engine && !o.available);
    if (off) throw new AppError('bad_input', `engine ${resolved.engine} is not available here: ${off.note}`);
    this.refuseIfBusy();
    if (this.project.path === ':memory:')
      throw new AppError('bad_input', 'training needs a project file, not :memory:');
    // Checked before anything is written: an init that does not fit leaves no run behind.
    const initDir = resolveInit(resolved, (id) => (this.runs.get(id) ? checkpointPath(this.checkpointDir(id)) : null));
    const config = recipeFor(resolved, partial, initDir);
    const { split, report } = splitForRun(this.runs, config);
    const runId = this.runs.create(config, split, report);
    this.runs.update(runId, { checkpoint: this.checkpointDir(runId) });
    this.runs.patchSummary(runId, { initFrom: initDir ? config.init.replace('auto', 'pretrained') : 'scratch' });
    this.launch(runId, config, false, partial.size === undefined && !initDir, initDir);
    return { runId, split: report };
  }

  /**
   * Continues a stopped, failed or crashed run from its last checkpoint, on
   * the same split. A trainer that has reported its end but is still exiting
   * is waited for: it may still be writing the checkpoint's last files.
   */
  resume(runId: number): Resumed | Promise<Resumed> {
    const exiting = this.live.get(runId);
    return exiting?.ended ? exiting.finished.then(() => this.resumeNow(runId)) : this.resumeNow(runId);
  }

  private resumeNow(runId: number): Resumed {
    const run = this.mustGet(runId);
    if (this.live.has(runId)) throw new AppError('conflict', `run ${runId} is already training`);
    if (run.status === 'done') throw new AppError('conflict', `run ${runId} is done; start a new run to train more`);
    this.refuseIfBusy();
    const dir = this.checkpointDir(runId);
    // Checkpoints need not follow every epoch (config.checkpointSeconds): the run goes on from its last one.
    const at = checkpointProgress(dir);
    this.runs.dropAfter(runId, at?.epoch ?? 0, at?.step ?? 0);
    this.runs.patchSummary(runId, { resumes: (run.summary.resumes ?? 0) + 1 });
    this.runs.update(runId, { error: null, finishedAt: null });
    this.launch(runId, run.config, at !== null);
    return { runId, fromEpoch: at?.epoch ?? 0 };
  }

  stop(runId: number): { stopping: boolean } {
    this.mustGet(runId);
    const live = this.live.get(runId);
    if (!live) return { stopping: false };
    live.child.send({ type: 'stop' } satisfies ToWorker);
    return { stopping: true };
  }

  /** Resolves when the run's trainer process has exited (immediately if none is running). */
  async wait(runId: number): Promise<RunRecord> {
    const live = this.live.get(runId);
    return live ? live.finished : this.mustGet(runId);
  }

  /** The trainer's process id, for tests and diagnostics. */
  pid(runId: number): number | undefined {
    return this.live.get(runId)?.child.pid;
  }

  /** One training at a time: two would share the same cores (or GPU) and both crawl. */
  private refuseIfBusy(): void {
    // A trainer that has reported its end is only exiting: a new run may start beside it.
    const busy = [...this.live].find(([, l]) => !l.ended)?.[0];
    if (busy !== undefined) throw new AppError('conflict', `run ${busy} is training; stop it before starting another`);
  }

  /**
   * A run recorded as running whose trainer process no longer exists (the
   * app or CLI that started it was killed) is marked failed, so lists tell
   * the truth; resume continues it from its last checkpoint.
   */
  private reapOrphans(): void {
    for (const run of this.runs.list()) {
      if ((run.status !== 'running' && run.status !== 'queued') || this.live.has(run.id)) continue;
      const pid = run.summary.pid;
      if (pid !== undefined && alive(pid)) continue;
      this.runs.update(run.id, {
        status: 'failed',
        error:
          'the trainer process ended without reporting (its app or command was closed); resume to continue from the last checkpoint',
        finishedAt: Date.now(),
      });
    }
  }

  get(runId: number): RunDetail {
    this.reapOrphans();
    const run = this.mustGet(runId);
    return { ...run, epochs: this.runs.epochs(runId), batches: this.runs.batches(runId) };
  }

  /** The trained (and imported) runs, newest first; the pretrained model's run 0 has its own call. */
  list(): RunRecord[] {
    this.reapOrphans();
    return this.runs.list().filter((r) => r.id !== PRETRAINED_RUN_ID);
  }

  private mustGet(runId: number): RunRecord {
    const run = this.runs.get(runId);
    if (!run) throw new AppError('not_found', `run ${runId} does not exist`);
    return run;
  }

  private spawn(): { child: TrainerProcess; stderrTail: () => string } {
    let tail = '';
    const child = this.launcher(trainerEntry(), {
      ...process.env,
      TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2',
    });
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
      if (process.env.GRAPHEME_TRAINER_LOG) process.stderr.write(chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // TensorFlow's start-up chatter and tfjs' banner say nothing about why a trainer died.
    const noise = /^(I0000|WARNING: All log|To enable the following|=+$|Hi, looks like|\s*$)/;
    const stderrTail = () =>
      tail
        .split('\n')
        .filter((l) => !noise.test(l))
        .slice(-5)
        .join(' | ');
    return { child, stderrTail };
  }

  private launch(
    runId: number,
    config: TrainConfig,
    resume: boolean,
    autoSize = false,
    initDir: string | null = null,
  ): void {
    const { child, stderrTail } = this.spawn();
    this.runs.update(runId, { status: 'running' });
    if (child.pid !== undefined) this.runs.patchSummary(runId, { pid: child.pid });
    const entry = { child, ended: false } as Live;
    const finished = new Promise<RunRecord>((resolve) => {
      child.onMessage((m) => {
        if (m.type === 'done' || m.type === 'stopped' || m.type === 'failed') entry.ended = true;
        this.onMessage(runId, m);
      });
      child.onExit((code, signal) => {
        if (this.live.get(runId) === entry) this.live.delete(runId);
        if (!this.project.db.open) return;
        if (!entry.ended) {
          const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          const tail = stderrTail();
          this.fail(runId, `the trainer process ${how} before finishing${tail ? ` (${tail})` : ''}`);
        }
        resolve(this.mustGet(runId));
      });
      child.onError((err) => {
        if (!entry.ended) this.fail(runId, `the trainer process could not run: ${err.message}`);
        entry.ended = true;
      });
    });
    entry.finished = finished;
    this.live.set(runId, entry);
    child.send({
      type: 'train',
      dbPath: this.project.path,
      runId,
      config,
      checkpointDir: this.checkpointDir(runId),
      resume,
      autoSize,
      initDir,
    } satisfies ToWorker);
  }

  private fail(runId: number, error: string): void {
    if (!this.project.db.open) return;
    this.runs.update(runId, { status: 'failed', error, finishedAt: Date.now() });
    this.emit('training.failed', { runId, error });
  }

  private onMessage(runId: number, m: FromWorker): void {
    // A message that arrives after the project closed has nowhere to go; the checkpoint on disk has it.
    if (!this.project.db.open) return;
    const runs = this.runs;
    switch (m.type) {
      case 'engine':
        runs.update(runId, { engine: m.engine, device: m.device });
        // The trainer settles an unspecified input size once it knows the engine (GPU: larger).
        if (m.size !== this.mustGet(runId).config.size) runs.setSize(runId, m.size);
        runs.patchSummary(runId, { engineReason: m.reason });
        this.emit('training.started', { runId, engine: m.engine, device: m.device, reason: m.reason });
        break;
      case 'progress': {
        const { type: _t, ...progress } = m;
        runs.saveBatches(runId, m.points);
        this.emit('training.progress', { runId, ...progress });
        break;
      }
      case 'epoch': {
        const { type: _t, ...epoch } = m;
        runs.saveEpoch(runId, epoch);
        runs.patchSummary(runId, { epochsDone: m.epoch, metrics: m.val });
        this.emit('training.epoch', { runId, ...epoch });
        break;
      }
      case 'checkpoint':
        runs.update(runId, { checkpoint: m.dir });
        // Stored predictions belong to the checkpoint that made them.
        this.project.predictions.clear(runId);
        break;
      case 'done':
      case 'stopped': {
        const status = m.type === 'done' ? 'done' : 'stopped';
        runs.update(runId, { status, finishedAt: Date.now() });
        const run = this.mustGet(runId);
        this.emit('training.done', { runId, status, metrics: run.summary.metrics ?? null });
        break;
      }
      case 'failed':
        this.fail(runId, m.error);
        break;
      default:
        break;
    }
  }

  /** Runs a one-shot job (eval, predict) in a trainer process and returns its answer. */
  private oneShot<T extends FromWorker['type']>(job: ToWorker, want: T): Promise<Extract<FromWorker, { type: T }>> {
    const { child, stderrTail } = this.spawn();
    return new Promise((resolve, reject) => {
      let settled = false;
      child.onMessage((m) => {
        if (m.type === want) {
          settled = true;
          resolve(m as Extract<FromWorker, { type: T }>);
        } else if (m.type === 'failed') {
          settled = true;
          reject(new AppError('bad_input', m.error));
        }
      });
      child.onExit((code, signal) => {
        if (!settled)
          reject(new AppError('internal', `the trainer process ${signal ?? `exited with ${code}`}: ${stderrTail()}`));
      });
      child.send(job);
    });
  }

  private modelDir(runId: number): string {
    this.mustGet(runId);
    const dir = this.checkpointDir(runId);
    if (!checkpointPath(dir)) throw new AppError('conflict', `run ${runId} has no checkpoint yet (no epoch finished)`);
    return dir;
  }

  async evaluate(runId: number, split: EvalSplit): Promise<{ metrics: EvalMetrics; confusion: Confusion }> {
    const dir = this.modelDir(runId);
    const run = this.mustGet(runId);
    const r = await this.oneShot(
      { type: 'eval', dbPath: this.project.path, runId, checkpointDir: dir, split, engine: run.config.engine },
      'evaluated',
    );
    return { metrics: r.metrics, confusion: r.confusion };
  }

  /** Every class's probability for each image, with the run's checkpoint (layout of store/predictions.ts). */
  async predictProbs(runId: number, imageIds: readonly number[]): Promise<Float32Array[]> {
    const dir = this.modelDir(runId);
    for (const id of imageIds)
      if (!this.project.images.get(id)) throw new AppError('not_found', `image ${id} does not exist`);
    const run = this.mustGet(runId);
    const r = await this.oneShot(
      {
        type: 'predict',
        dbPath: this.project.path,
        checkpointDir: dir,
        imageIds: [...imageIds],
        engine: run.config.engine,
      },
      'predicted',
    );
    return r.probs.map((p) => Float32Array.from(p));
  }

  async predict(runId: number, imageIds: number[], k: number): Promise<Prediction[]> {
    const probs = await this.predictProbs(runId, imageIds);
    return imageIds.map((imageId, i) => topKPrediction(imageId, probs[i]!, k));
  }

  private engines: Promise<EngineStatus> | undefined;
  private probed: EngineStatus | null = null;

  /** The engine a run gets here, probed once in a trainer process (a tfjs backend is process-wide). */
  engineStatus(): Promise<EngineStatus> {
    this.engines ??= this.oneShot({ type: 'probe' }, 'engine').then(
      ({ engine, device, reason, options }) => (this.probed = engineStatus({ engine, device, reason }, options ?? [])),
      (err: unknown) => {
        this.engines = undefined;
        throw err;
      },
    );
    return this.engines;
  }

  /** Stops every trainer process this manager started (the app is closing). */
  close(): void {
    for (const { child } of this.live.values()) child.send({ type: 'stop' });
  }
}

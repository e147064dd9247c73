/**
 * The trained model back in the labeling loop: predicts a scope of images
 * with a run's checkpoint (in the trainer process, in chunks), stores full
 * probabilities, and answers confusion, suspects and suggestions from them.
 */
import { AppError } from '../contract/envelope.js';
import type { RunConfusion, ScoreResult, ScoreScope, SuspectsResult } from '../contract/insights.js';
import { PRETRAINED_RUN_ID, type Prediction, type RunRecord } from '../contract/training.js';
import type { Project } from '../store/project.js';
import type { Supervisor } from './training/supervisor.js';

/** The figure behind a run's judgement: its latest validation recall, or the pretrained model's zero-shot one. */
function reliability(run: RunRecord): SuspectsResult['reliability'] {
  const pretrained = run.summary.pretrained;
  if (pretrained)
    return {
      hierarchicalRecall: pretrained.zeroShot,
      on: `zero-shot on ${pretrained.zeroShotOn ?? 'real handwriting'}, before any training on this project's labels`,
      pretrained: true,
    };
  const m = run.summary.metrics;
  return {
    hierarchicalRecall: m?.hierarchicalRecall ?? null,
    on: m ? `its ${m.samples} validation images, after epoch ${run.summary.epochsDone ?? '?'}` : 'not measured',
    pretrained: false,
  };
}

/** Images per trainer process: bounds the message size (186 probabilities each) and keeps memory flat. */
const CHUNK = 2000;

export class Insights {
  /** One scoring per run and scope at a time; callers of the same work share it. */
  private readonly inflight = new Map<string, Promise<ScoreResult>>();

  constructor(
    private readonly project: Project,
    private readonly supervisor: () => Supervisor,
  ) {}

  private get store() {
    return this.project.predictions;
  }

  private run(runId: number) {
    const run = this.project.runs.get(runId);
    if (!run) throw new AppError('not_found', `run ${runId} does not exist`);
    return run;
  }

  /** Predicts with every class's probability and stores them. */
  private async predictAndStore(runId: number, ids: readonly number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const probs = await this.supervisor().predictProbs(runId, chunk);
      if (!this.project.db.open) return;
      this.store.save(
        runId,
        chunk.map((imageId, n) => ({ imageId, probs: probs[n]! })),
      );
    }
  }

  score(runId: number, scope: ScoreScope, force = false): Promise<ScoreResult> {
    const key = `${runId}:${scope}:${force}`;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const work = this.scoreNow(runId, scope, force).finally(() => this.inflight.delete(key));
    this.inflight.set(key, work);
    return work;
  }

  private async scoreNow(runId: number, scope: ScoreScope, force: boolean): Promise<ScoreResult> {
    const run = this.run(runId);
    const t0 = performance.now();
    const { all, missing } = this.store.scope(runId, scope);
    const todo = force ? all : missing;
    if (todo.length) await this.predictAndStore(runId, todo);
    const stored = this.store.scope(runId, scope);
    return {
      runId,
      scope,
      scored: todo.length,
      stored: stored.all.length - stored.missing.length,
      seconds: (performance.now() - t0) / 1000,
      engine: run.engine,
    };
  }

  async confusion(runId: number): Promise<RunConfusion> {
    await this.score(runId, 'val');
    return this.store.confusion(runId);
  }

  async suspects(runId: number, limit: number): Promise<SuspectsResult> {
    // The pretrained model judges every labeled image, those labeled since its last use too.
    if (runId === PRETRAINED_RUN_ID) this.project.runs.addLabeledToVal(runId);
    await this.score(runId, 'val');
    return { runId, ...this.store.suspects(runId, limit), reliability: reliability(this.run(runId)) };
  }

  async suggest(runId: number, imageIds: number[], k: number): Promise<Prediction[]> {
    this.run(runId);
    const have = this.store.probs(runId, imageIds);
    const missing = imageIds.filter((id) => !have.has(id));
    // The pretrained model is asked from the first image of a project that has no run yet: one trainer
    // process predicts every unlabeled image once, instead of one process per block of the queue.
    if (missing.length && runId === PRETRAINED_RUN_ID) await this.score(runId, 'unlabeled');
    const still = missing.filter((id) => !this.store.probs(runId, [id]).has(id));
    if (still.length) await this.predictAndStore(runId, still);
    return this.store.suggestions(runId, imageIds, k);
  }

  /** Deletes a run that is not training, its rows and its checkpoint folder. */
  deleteRun(runId: number): { deleted: boolean } {
    this.run(runId);
    // A 'running' status without a live trainer is a run the app lost in a crash: deletable.
    if (this.supervisor().pid(runId) !== undefined)
      throw new AppError('conflict', `run ${runId} is training: stop it before deleting it`);
    return { deleted: this.project.deleteRun(runId) };
  }
}

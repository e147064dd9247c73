/**
 * The trainer for real: a child process training on the 405 real handwriting
 * samples with a tiny config (ResNet-18 at 1/8 width, 32x32, wasm engine).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { getPriority } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Events } from '../../../src-main/contract/events.js';
import type { TrainConfig } from '../../../src-main/contract/training.js';
import { Service } from '../../../src-main/service/service.js';
import { Project } from '../../../src-main/store/project.js';
import { checkpointPath } from '../../../src-main/store/checkpoint-path.js';
import { readState } from '../../../src-main/train/checkpoint.js';
import { resolveConfig } from '../../../src-main/train/config.js';
import { fromConfusion } from '../../../src-main/train/metrics.js';
import { TRAINER_NICE_OFFSET } from '../../../src-main/train/priority.js';
import { FORMS } from '../../helpers.js';

const TINY: Partial<TrainConfig> = { arch: 'resnet18', size: 32, baseWidth: 8, epochs: 2, batch: 32, engine: 'wasm' };

let dir: string;
let service: Service;
const events: { name: keyof Events; payload: unknown }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-train-'));
  service = new Service(new Project(join(dir, 'forms.sqlite')));
  await service.importFolder({ folder: FORMS, labels: join(FORMS, 'labels.csv') });
  service.subscribe((name, payload) => events.push({ name, payload }));
});
afterAll(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

const of = <E extends keyof Events>(name: E, runId: number) =>
  events
    .filter((e) => e.name === name && (e.payload as { runId: number }).runId === runId)
    .map((e) => e.payload as Events[E]);

async function until(cond: () => boolean, what: string, ms = 60_000) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('training run', () => {
  it('trains, streams progress, persists metrics that agree with the confusion matrices, and predicts', async () => {
    const h = service.handlers;
    const { runId, split } = await h['training.start'](TINY);
    expect(split.train + split.val).toBe(405);
    expect(split.val).toBeGreaterThan(40);
    expect(split.singletons).toBeGreaterThan(0);
    const run = await service.supervisor.wait(runId);
    expect(run.error).toBeNull();
    expect(run.status).toBe('done');
    expect(run.engine).toBe('wasm');
    expect(run.device).toContain('WebAssembly');

    const started = of('training.started', runId);
    expect(started).toHaveLength(1);
    const progress = of('training.progress', runId);
    const batches = Math.ceil(split.train / 32);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThanOrEqual(2 * batches);
    expect(progress.every((p) => p.engine === 'wasm' && p.imagesPerSec > 0 && Number.isFinite(p.loss))).toBe(true);
    expect(of('training.epoch', runId).map((e) => e.epoch)).toEqual([1, 2]);
    expect(of('training.done', runId)).toEqual([{ runId, status: 'done', metrics: run.summary.metrics }]);

    const detail = await h['runs.get']({ runId });
    expect(detail.batches.map((b) => b.step)).toEqual(Array.from({ length: 2 * batches }, (_, i) => i + 1));
    // Every batch keeps each head's cross-entropy, and the loss is their (weight 1) sum.
    for (const b of detail.batches) {
      expect([b.root, b.vowel, b.consonant].every((v) => typeof v === 'number' && v > 0)).toBe(true);
      expect(b.root! + b.vowel! + b.consonant!).toBeCloseTo(b.loss, 4);
    }
    expect(progress.flatMap((p) => p.points).every((b) => typeof b.root === 'number')).toBe(true);
    expect(detail.epochs).toHaveLength(2);
    const last = detail.epochs[1]!;
    expect(last.val!.samples).toBe(split.val);
    for (const c of ['root', 'vowel', 'consonant'] as const) {
      const m = last.confusion![c];
      expect(m.flat().reduce((a, b) => a + b, 0)).toBe(split.val);
      expect(fromConfusion(m).macroRecall).toBeCloseTo(last.val![c].macroRecall, 12);
    }
    expect(checkpointPath(run.checkpoint!)).not.toBeNull();

    // The saved model reproduces the last epoch's validation metrics.
    const evaluated = await h['runs.eval']({ runId, split: 'val' });
    expect(evaluated.metrics.hierarchicalRecall).toBeCloseTo(last.val!.hierarchicalRecall, 6);
    expect(evaluated.confusion.root).toHaveLength(168);
    expect(evaluated.confusion.root[0]).toHaveLength(168);

    const { predictions } = await h['runs.predict']({ runId, imageIds: [1, 2, 3], k: 5 });
    expect(predictions.map((p) => p.imageId)).toEqual([1, 2, 3]);
    for (const p of predictions) {
      expect(p.root).toHaveLength(5);
      expect(p.consonant).toHaveLength(5);
      const probs = p.root.map((t) => t.prob);
      expect([...probs].sort((a, b) => b - a)).toEqual(probs);
      expect(probs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-5);
    }
  });

  it('resumes after the trainer process is SIGKILLed, on the same split', async () => {
    const h = service.handlers;
    const { runId } = await h['training.start']({ ...TINY, epochs: 4, checkpointSeconds: 0 });
    const ckpt = service.project.runDir(runId).checkpoint;
    await until(() => checkpointPath(ckpt) !== null, 'the first checkpoint');
    const splitBefore = service.project.db
      .prepare('SELECT image_id, split FROM run_splits WHERE run_id = ?')
      .all(runId);
    process.kill(service.supervisor.pid(runId)!, 'SIGKILL');
    const crashed = await service.supervisor.wait(runId);
    expect(crashed.status).toBe('failed');
    expect(crashed.error).toContain('killed by SIGKILL');
    expect(of('training.failed', runId)).toHaveLength(1);

    const { fromEpoch } = await h['training.resume']({ runId });
    expect(fromEpoch).toBeGreaterThanOrEqual(1);
    const done = await service.supervisor.wait(runId);
    expect(done.error).toBeNull();
    expect(done.status).toBe('done');
    expect(done.summary.resumes).toBe(1);
    const detail = await h['runs.get']({ runId });
    expect(detail.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(service.project.db.prepare('SELECT image_id, split FROM run_splits WHERE run_id = ?').all(runId)).toEqual(
      splitBefore,
    );
    // Steps continue from the checkpoint instead of starting over.
    const steps = detail.batches.map((b) => b.step);
    expect(new Set(steps).size).toBe(steps.length);
    expect(Math.max(...steps)).toBe(4 * Math.ceil(detail.summary.split!.train / 32));
  });

  it("writes a short run's checkpoint at its end; killed before it, resume starts over and drops the lost epochs", async () => {
    const h = service.handlers;
    // The default interval (120 s) is far longer than this run: its one checkpoint is the last.
    const { runId } = await h['training.start']({ ...TINY, epochs: 3 });
    const ckpt = service.project.runDir(runId).checkpoint;
    await until(() => of('training.epoch', runId).length >= 2, 'two epochs');
    process.kill(service.supervisor.pid(runId)!, 'SIGKILL');
    expect((await service.supervisor.wait(runId)).status).toBe('failed');
    expect(checkpointPath(ckpt)).toBeNull();
    expect((await h['runs.get']({ runId })).epochs.map((e) => e.epoch)).toEqual([1, 2]);

    expect(await h['training.resume']({ runId })).toEqual({ runId, fromEpoch: 0 });
    // Nothing survives that the checkpoint (none) does not hold: the record starts over with the run.
    const resumed = await h['runs.get']({ runId });
    expect([resumed.epochs.length, resumed.batches.length, resumed.summary.epochsDone]).toEqual([0, 0, 0]);
    const done = await service.supervisor.wait(runId);
    expect(done.status).toBe('done');
    const detail = await h['runs.get']({ runId });
    expect(detail.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    const total = 3 * Math.ceil(detail.summary.split!.train / 32);
    expect(detail.batches.map((b) => b.step)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(readState(ckpt)).toMatchObject({ epoch: 3, step: total });
  });

  it('stops at a checkpoint mid-epoch and resumes to the end', async () => {
    const h = service.handlers;
    const { runId } = await h['training.start']({ ...TINY, epochs: 2, batch: 8 });
    await until(() => of('training.progress', runId).length > 0, 'progress');
    expect(await h['training.stop']({ runId })).toEqual({ stopping: true });
    const stopped = await service.supervisor.wait(runId);
    expect(stopped.status).toBe('stopped');
    expect(of('training.done', runId).at(-1)!.status).toBe('stopped');
    const state = JSON.parse(
      readFileSync(join(checkpointPath(service.project.runDir(runId).checkpoint)!, 'state.json'), 'utf8'),
    ) as { epoch: number; batchInEpoch: number };
    // Stopped inside the first epoch: the checkpoint records the batch to continue from.
    expect(state.epoch).toBe(0);
    expect(state.batchInEpoch).toBeGreaterThan(0);
    expect(await h['training.resume']({ runId })).toMatchObject({ runId });
    const done = await service.supervisor.wait(runId);
    expect(done.status).toBe('done');
    // Every batch's loss reached the run record, across the stop.
    const total = 2 * Math.ceil(done.summary.split!.train / 8);
    expect((await h['runs.get']({ runId })).batches.map((b) => b.step)).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
    expect(() => h['training.resume']({ runId })).toThrow(`run ${runId} is done`);
  });

  it('resumes a run whose trainer reported stopped but is still exiting; a new checkpoint drops its stored predictions', async () => {
    const h = service.handlers;
    const { runId } = await h['training.start']({ ...TINY, epochs: 2, batch: 8 });
    await until(() => of('training.progress', runId).length > 0, 'progress');
    h['training.stop']({ runId });
    expect((await service.supervisor.wait(runId)).status).toBe('stopped');
    const scored = await h['runs.score']({ runId, scope: 'val', force: false });
    expect(scored.stored).toBeGreaterThan(0);

    await h['training.resume']({ runId });
    const seen = of('training.progress', runId).length;
    await until(() => of('training.progress', runId).length > seen, 'progress after resume');
    // Asked the moment 'stopped' arrives, before the trainer process has exited.
    let resumed: unknown;
    const off = service.subscribe((name, payload) => {
      if (name === 'training.done' && (payload as { runId: number }).runId === runId)
        resumed = h['training.resume']({ runId });
    });
    h['training.stop']({ runId });
    await until(() => resumed !== undefined, 'the resume call');
    off();
    expect(await resumed).toMatchObject({ runId });
    expect((await service.supervisor.wait(runId)).status).toBe('done');
    expect(service.project.runs.get(runId)!.summary.resumes).toBe(2);
    // The predictions were made with the first checkpoint; the resumed trainer wrote others since.
    const { all, missing } = service.project.predictions.scope(runId, 'val');
    expect(all.length).toBe(scored.stored);
    expect(missing).toEqual(all);
    // Two stops, a scoring and the rest of the run: 79 s at load average 25 on the shared 2-core box.
  }, 180_000);
});

describe('run bookkeeping', () => {
  it.skipIf(process.platform !== 'linux')(
    "runs the trainer, every thread of it, 10 nice levels below the app (Linux's nice is per thread)",
    async () => {
      const h = service.handlers;
      const { runId } = await h['training.start']({ ...TINY, epochs: 3 });
      // Once the engine is chosen its thread pools exist: they must have started low as well.
      await until(() => of('training.started', runId).length > 0, 'the engine');
      const pid = service.supervisor.pid(runId)!;
      const niceOf = (tid: string) =>
        Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
      const threads = readdirSync(`/proc/${pid}/task`);
      const expected = Math.min(19, getPriority(0) + TRAINER_NICE_OFFSET);
      expect(threads.length).toBeGreaterThan(1);
      expect(threads.map(niceOf)).toEqual(threads.map(() => expected));
      h['training.stop']({ runId });
      expect((await service.supervisor.wait(runId)).status).toBe('stopped');
    },
  );

  it('trains one run at a time', async () => {
    const h = service.handlers;
    const { runId } = await h['training.start']({ ...TINY, epochs: 3 });
    expect(() => h['training.start'](TINY)).toThrow(`run ${runId} is training; stop it before starting another`);
    h['training.stop']({ runId });
    expect((await service.supervisor.wait(runId)).status).toBe('stopped');
  });

  it('marks a run whose trainer vanished (its app was killed) as failed, and it can resume', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    const runs = service.project.runs;
    const runId = runs.create(
      resolveConfig(TINY),
      { train: [1, 2, 3], val: [4] },
      {
        train: 3,
        val: 1,
        singletons: 0,
        method: 'test',
      },
    );
    runs.update(runId, { status: 'running' });
    runs.patchSummary(runId, { pid: gone });
    const listed = (await service.handlers['runs.list']({})).find((r) => r.id === runId)!;
    expect(listed.status).toBe('failed');
    expect(listed.error).toContain('ended without reporting');
    expect(service.handlers['training.resume']({ runId })).toMatchObject({ runId, fromEpoch: 0 });
    expect((await service.supervisor.wait(runId)).status).toBe('done');
  });
});

describe('bad input', () => {
  it('rejects an invalid config at once, naming the problem', () => {
    const h = service.handlers;
    expect(() => h['training.start']({ batch: 0 })).toThrow('batch must be >= 1, got 0');
    expect(() => h['training.start']({ size: 3 })).toThrow('size must be an integer in 32..512, got 3');
    // Past the dispatcher (which refuses these first): the handler's own check, fed what its type forbids.
    expect(() => h['training.start']({ arch: 'vgg' } as never)).toThrow('unknown arch "vgg"');
    expect(() => h['training.start']({ engine: 'tpu' } as never)).toThrow('unknown engine "tpu"');
    expect(() => h['training.start']({ holdout: 'no-such-writer' })).toThrow('matches no labeled image');
  });

  it('refuses to train without labeled images', async () => {
    const empty = new Service(new Project(join(dir, 'empty.sqlite')));
    try {
      expect(() => empty.handlers['training.start']({})).toThrow('No labeled images');
    } finally {
      empty.close();
    }
  });

  it('reports an engine that cannot load as a failed run with the reason', async () => {
    const { runId } = await service.handlers['training.start']({ ...TINY, epochs: 1, engine: 'webgpu' });
    const run = await service.supervisor.wait(runId);
    if (run.status === 'done') {
      // A machine with a GPU that Dawn can drive: the engine really ran.
      expect(run.engine).toBe('webgpu');
      return;
    }
    // Here (no GPU adapter, or the optional package absent) the run fails with the loader's reason.
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/engine webgpu is not available: .*(no GPU adapter|webgpu)/);
    expect(of('training.failed', runId)[0]!.error).toBe(run.error);
  });
});

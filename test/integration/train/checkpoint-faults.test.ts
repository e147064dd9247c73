/**
 * Checkpoints under faults: a file cut short or corrupted on disk is caught by
 * the sizes and checksums in state.json and the previous checkpoint is used;
 * the trainer process SIGKILLed inside a batch, while writing a checkpoint or
 * during validation leaves a failed run that resumes from the last whole one.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Events } from '../../../src-main/contract/events.js';
import type { TrainConfig } from '../../../src-main/contract/training.js';
import { Service } from '../../../src-main/service/service.js';
import { Project } from '../../../src-main/store/project.js';
import { chooseCheckpoint } from '../../../src-main/store/checkpoint-path.js';
import { loadModel, readState, saveCheckpoint, type TrainState } from '../../../src-main/train/checkpoint.js';
import { resolveConfig } from '../../../src-main/train/config.js';
import { buildModel } from '../../../src-main/train/model.js';
import { FORMS, tempDir } from '../../helpers.js';

function flipByte(file: string, at: number) {
  const bytes = readFileSync(file);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from([bytes[at]! ^ 0xff]), 0, 1, at);
  closeSync(fd);
}

describe('checkpoint files', () => {
  const config = resolveConfig({ arch: 'resnet18', size: 32, baseWidth: 8, epochs: 3 });
  const state = (epoch: number): TrainState => ({
    config,
    epoch,
    batchInEpoch: 0,
    step: epoch * 10,
    normalization: { mean: 0.1, std: 0.2 },
    savedAt: Date.now(),
  });
  async function twoCheckpoints() {
    const dir = join(tempDir(), 'ckpt');
    const model = buildModel(config);
    const optimizer = tf.train.adam(1e-3);
    await saveCheckpoint(dir, model, optimizer, state(1));
    await saveCheckpoint(dir, model, optimizer, state(2));
    model.dispose();
    optimizer.dispose();
    return dir;
  }

  it('keeps the previous checkpoint and lists each file with its size and checksum', async () => {
    const dir = await twoCheckpoints();
    expect(readState(dir).epoch).toBe(2);
    expect(readState(`${dir}.old`).epoch).toBe(1);
    const listed = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as TrainState;
    expect(Object.keys(listed.files!).sort()).toEqual(['model.json', 'optimizer.bin', 'optimizer.json', 'weights.bin']);
    expect(chooseCheckpoint(dir, 'hashes')).toEqual({ path: dir, rejected: null });
  });

  it('passes over a truncated checkpoint for the previous one', async () => {
    const dir = await twoCheckpoints();
    truncateSync(join(dir, 'weights.bin'), 1000);
    const choice = chooseCheckpoint(dir, 'sizes');
    expect(choice.path).toBe(`${dir}.old`);
    expect(choice.rejected).toMatch(/weights\.bin is 1000 bytes, expected \d+ \(truncated\)/);
    expect(readState(dir).epoch).toBe(1);
    (await loadModel(dir)).dispose();
  });

  it('passes over a checkpoint whose bytes changed but not its size (checksums)', async () => {
    const dir = await twoCheckpoints();
    flipByte(join(dir, 'weights.bin'), 100);
    expect(chooseCheckpoint(dir, 'sizes').path).toBe(dir);
    expect(chooseCheckpoint(dir, 'hashes')).toEqual({
      path: `${dir}.old`,
      rejected: expect.stringContaining('weights.bin does not match its checksum (corrupted)'),
    });
    expect(readState(dir).epoch).toBe(1);
  });

  it('says so when neither checkpoint is whole, and takes a half-written state.json as unusable', async () => {
    const dir = await twoCheckpoints();
    truncateSync(join(dir, 'state.json'), 10);
    flipByte(join(`${dir}.old`, 'weights.bin'), 5000);
    expect(chooseCheckpoint(dir, 'sizes').rejected).toContain('state.json is not valid JSON');
    expect(() => readState(dir)).toThrow(/state\.json is not valid JSON .*, and no earlier checkpoint is whole/);
  });
});

// A checkpoint after every epoch (checkpointSeconds 0), so that kills can land between and inside them.
const TINY: Partial<TrainConfig> = {
  arch: 'resnet18',
  size: 32,
  baseWidth: 8,
  epochs: 3,
  batch: 32,
  engine: 'wasm',
  checkpointSeconds: 0,
};

describe('trainer killed at random points', () => {
  let dir: string;
  let service: Service;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gs-train-faults-'));
    service = new Service(new Project(join(dir, 'forms.sqlite')));
    await service.importFolder({ folder: FORMS, labels: join(FORMS, 'labels.csv') });
  });
  afterAll(() => {
    service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function until(cond: () => boolean, what: string, ms = 120_000) {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  it('fails with the reason, then resumes from the last whole checkpoint to the end, each time', async () => {
    const h = service.handlers;
    const { runId, split } = await h['training.start'](TINY);
    const ckpt = service.project.runDir(runId).checkpoint;
    const batches = Math.ceil(split.train / 32);
    let lastBatch = 0;
    let lastEpochBatch = 0;
    service.subscribe((event, payload) => {
      if (event !== 'training.progress') return;
      const p = payload as Events['training.progress'];
      if (p.runId === runId) [lastBatch, lastEpochBatch] = [p.batch, p.batch];
    });
    const kills: string[] = [];
    const kill = async (where: string) => {
      process.kill(service.supervisor.pid(runId)!, 'SIGKILL');
      const crashed = await service.supervisor.wait(runId);
      expect(crashed.status).toBe('failed');
      expect(crashed.error).toContain('killed by SIGKILL');
      kills.push(where);
      const { fromEpoch } = await h['training.resume']({ runId });
      expect(fromEpoch).toBeGreaterThanOrEqual(0);
    };
    // Inside a batch: after some progress of the first epoch, before any checkpoint.
    await until(() => lastBatch >= 2, 'a few batches');
    await kill(`inside batch ${lastBatch} of epoch 1 (no checkpoint yet)`);
    // While writing a checkpoint: the temporary folder exists.
    await until(() => existsSync(`${ckpt}.tmp`), 'a checkpoint being written');
    await kill('while writing a checkpoint');
    expect(chooseCheckpoint(ckpt, 'hashes').path === null || chooseCheckpoint(ckpt, 'hashes').rejected === null).toBe(
      true,
    );
    // During validation: the last batch of an epoch has been reported.
    lastEpochBatch = 0;
    await until(() => lastEpochBatch === batches, 'the last batch of an epoch');
    await kill('during validation');
    const done = await service.supervisor.wait(runId);
    console.log(`trainer kills: ${kills.join('; ')}`);
    expect(done.error).toBeNull();
    expect(done.status).toBe('done');
    expect(done.summary.resumes).toBe(3);
    const detail = await h['runs.get']({ runId });
    expect(detail.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(chooseCheckpoint(ckpt, 'hashes')).toEqual({ path: ckpt, rejected: null });
    expect(readState(ckpt).epoch).toBe(3);
  }, 600_000);
});

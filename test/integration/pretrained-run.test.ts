/**
 * The shipped pretrained model as run 0, for real (the project file, the trainer process predicting
 * with the shipped weights): made on first use from resources/pretrained, left out of the runs list,
 * judging every labeled image, saying how reliable it is, and trained runs still counting from 1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRETRAINED_RUN_ID } from '../../src-main/contract/training.js';
import { shippedModel } from '../../src-main/service/pretrained-run.js';
import { Service } from '../../src-main/service/service.js';
import { Project } from '../../src-main/store/project.js';
import { resolveConfig } from '../../src-main/train/config.js';
import { FORMS } from '../helpers.js';

const shipped = shippedModel();
let dir: string;
let service: Service;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-pretrained-'));
  service = new Service(new Project(join(dir, 'p.sqlite')));
  await service.importFolder({ folder: FORMS, labels: join(FORMS, 'labels.csv') });
});
afterAll(() => {
  service?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!shipped)('the pretrained model as run 0', () => {
  it('is made from the shipped weights on first use and is not a training run', async () => {
    const h = service.handlers;
    const run = (await h['runs.pretrained']({}))!;
    expect(run.id).toBe(PRETRAINED_RUN_ID);
    expect(run.status).toBe('done');
    expect(run.summary.pretrained!.dir).toBe(shipped!.dir);
    expect(run.summary.pretrained!.zeroShot).toBeGreaterThan(0.2);
    // A byte-for-byte copy of the shipped checkpoint.
    const copied = service.project.runDir(0).checkpoint;
    for (const f of ['model.json', 'weights.bin', 'state.json'])
      expect(readFileSync(join(copied, f)).equals(readFileSync(join(shipped!.dir, f)))).toBe(true);
    expect(await h['runs.list']({})).toEqual([]);
    expect((await h['runs.pretrained']({}))!.id).toBe(0);
    expect(service.project.runs.splitCounts(0)).toEqual({ train: 0, val: 405 });
    // Trained runs still count from 1.
    const next = service.project.runs.create(
      resolveConfig({}),
      { train: [], val: [] },
      {
        train: 0,
        val: 0,
        singletons: 0,
        method: 'test',
      },
    );
    expect(next).toBe(1);
    service.project.deleteRun(next);
  });

  it('suggests, and ranks suspects saying how reliable it is', async () => {
    const h = service.handlers;
    const [first] = service.project.runs.splitImages(0, 'val');
    const { predictions } = await h['runs.suggest']({ runId: 0, imageIds: [first!], k: 3 });
    expect(predictions[0]!.root).toHaveLength(3);
    expect(predictions[0]!.root[0]!.prob).toBeGreaterThanOrEqual(predictions[0]!.root[1]!.prob);
    const suspects = await h['runs.suspects']({ runId: 0, limit: 5 });
    expect(suspects.checked).toBe(405);
    expect(suspects.items.length).toBeGreaterThan(0);
    expect(suspects.reliability).toMatchObject({ pretrained: true });
    expect(suspects.reliability.hierarchicalRecall).toBeCloseTo(run0ZeroShot(), 6);
    expect(suspects.reliability.on).toContain('zero-shot on all 405 starter images');
  }, 300_000);
});

function run0ZeroShot(): number {
  const card = JSON.parse(readFileSync(join(shipped!.dir, 'card.json'), 'utf8'));
  return card.zeroShot.hierarchicalRecall ?? card.zeroShot.hierarchical_recall;
}

if (!shipped) console.warn('pretrained-run tests skipped: no pretrained weights shipped in resources/pretrained');

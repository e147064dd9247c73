/**
 * Suggestions for 10,000 unlabeled images (runs.score, scope unlabeled: the
 * full probabilities of every image predicted in the trainer process and
 * stored), per engine and model. The 405 labeled starter images train a
 * one-epoch model per engine; 10,000 generated competition rows (real
 * handwriting, shifted) are the unlabeled images.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TrainConfig } from '../src-main/contract/training.js';
import { Service } from '../src-main/service/service.js';
import { Project } from '../src-main/store/project.js';
import { competitionImages, writeCompetitionParquet } from '../test/fixtures/parquet.js';
import { FORMS } from '../test/helpers.js';
import { OUT, record } from './report.js';

const ROWS = Number(process.env.BENCH_SUGGEST_ROWS ?? 10_000);
const PREVIEW: Partial<TrainConfig> = { arch: 'resnet18', size: 32, baseWidth: 8, batch: 32 };
const FULL: Partial<TrainConfig> = { arch: 'resnet34', size: 64, baseWidth: 64, batch: 32 };
const CASES: { name: string; config: Partial<TrainConfig> }[] = [
  { name: 'tensorflow_resnet34_64px', config: { ...FULL, engine: 'tensorflow' } },
  { name: 'tensorflow_resnet18x0.125_32px', config: { ...PREVIEW, engine: 'tensorflow' } },
  { name: 'wasm_resnet18x0.125_32px', config: { ...PREVIEW, engine: 'wasm' } },
];

let dir: string;
let service: Service;

beforeAll(async () => {
  const file = join(OUT, `unlabeled_${ROWS}.parquet`);
  if (!existsSync(file)) writeCompetitionParquet(file, { rows: ROWS, images: await competitionImages(), prefix: 'U_' });
  dir = mkdtempSync(join(tmpdir(), 'gs-suggest-bench-'));
  service = new Service(new Project(join(dir, 'bench.sqlite')));
  await service.importFolder({ folder: FORMS, labels: join(FORMS, 'labels.csv') });
  const summary = await service.importParquet({ files: [file] });
  expect(summary.imported).toBe(ROWS);
});
afterAll(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

for (const c of CASES) {
  it(`suggests for ${ROWS} unlabeled images: ${c.name}`, async () => {
    const h = service.handlers;
    const { runId } = await h['training.start']({ ...c.config, epochs: 1 });
    const run = await service.supervisor.wait(runId);
    expect(run.error).toBeNull();
    expect(run.engine).toBe(c.config.engine);
    const score = await h['runs.score']({ runId, scope: 'unlabeled', force: false });
    expect(score.scored).toBe(ROWS);
    expect(score.stored).toBe(ROWS);
    record(`suggest_${ROWS}_${c.name}_seconds`, score.seconds, 's');
    record(`suggest_${c.name}_images_per_s`, ROWS / score.seconds, 'images/s');
    // The stored suggestions answer at once afterwards.
    const ids = (await h['images.ids']({ state: 'unlabeled', run: runId, order: 'uncertainty' })).ids;
    expect(ids).toHaveLength(ROWS);
    const t0 = performance.now();
    const s = await h['runs.suggest']({ runId, imageIds: ids.slice(0, 100), k: 3 });
    record(`suggest_read_100_${c.name}_ms`, performance.now() - t0, 'ms');
    expect(s.predictions).toHaveLength(100);
  });
}

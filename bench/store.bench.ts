/**
 * Label write acknowledgement latency (through the dispatcher, durable with
 * synchronous=FULL) and filtered page queries on a 200,000-image project.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { inProcessClient } from '../src-main/service/in-process.js';
import { Service } from '../src-main/service/service.js';
import { Project } from '../src-main/store/project.js';
import { insertCopies } from './fill.js';
import { OUT, percentile, record } from './report.js';

const IMAGES = Number(process.env.BENCH_STORE_IMAGES ?? 200_000);

function seed(project: Project): void {
  insertCopies(project, IMAGES, Buffer.alloc(64, 1));
  // Half labeled, spread over all classes, as an imported train.csv would leave it.
  const changes = [];
  for (let id = 1; id <= IMAGES; id += 2) {
    changes.push({ imageId: id, state: 'labeled' as const, root: id % 168, vowel: id % 11, consonant: id % 7 });
  }
  project.labels.apply(changes, 'import:train.csv', 'import');
}

function timeIt(fn: () => unknown): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

it(`labels and pages on a ${IMAGES}-image project`, async () => {
  const file = join(OUT, 'store-bench.sqlite');
  for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true });
  const project = new Project(file);
  const t0 = Date.now();
  seed(project);
  process.stdout.write(`seeded ${IMAGES} images in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const service = new Service(project);
  project.startBackgroundCheckpoints(); // as browser mode and the app do
  const client = inProcessClient(service);

  const writes: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const imageId = 2 + 2 * ((i * 7919) % (IMAGES / 2 - 1)); // unlabeled images, scattered
    const t = process.hrtime.bigint();
    await client.call('labels.set', {
      imageId,
      state: 'labeled',
      root: i % 168,
      vowel: i % 11,
      consonant: i % 7,
      annotator: 'bench',
    });
    writes.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  writes.sort((a, b) => a - b);
  record('label_write_ack_p50', percentile(writes, 50), 'ms');
  record('label_write_ack_p99', percentile(writes, 99), 'ms');

  const filters = {
    unlabeled: { state: 'unlabeled' as const },
    labeled: { state: 'labeled' as const },
    root: { root: 23 },
    vowel_state: { vowel: 3, state: 'labeled' as const },
    consonant: { consonant: 5 },
    none: {},
  };
  for (const [name, filter] of Object.entries(filters)) {
    const times: number[] = [];
    let after = 0;
    for (let i = 0; i < 100; i++) {
      const page = await client.call('images.page', { ...filter, limit: 200, after });
      expect(page.items.length).toBeGreaterThan(0);
      after = page.next ?? 0;
      times.push(timeIt(() => project.images.page({ ...filter, limit: 200, after: (i * 1777) % IMAGES })));
    }
    times.sort((a, b) => a - b);
    record(`page_200_${name}_p50`, percentile(times, 50), 'ms');
    record(`page_200_${name}_p99`, percentile(times, 99), 'ms');
  }
  service.close();
});

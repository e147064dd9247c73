import { createHash } from 'node:crypto';
import type { Project } from '../src-main/store/project.js';

/**
 * Fills a bench project with `count` images, each the same `bytes` (a PNG of 236x137) under its own
 * id `Train_i` and hash, in transactions of 10,000 rows.
 */
export function insertCopies(project: Project, count: number, bytes: Buffer): void {
  const cache = new Uint8Array(32);
  const insert = project.db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      project.images.insert({
        imageId: `Train_${i}`,
        sha256: createHash('sha256').update(`bench-${i}`).digest(),
        source: 'bench',
        width: 236,
        height: 137,
        format: 'png',
        bytes,
        cacheSize: 64,
        cache,
      });
    }
  });
  for (let i = 0; i < count; i += 10_000) insert(i, Math.min(count, i + 10_000));
}

import { defineConfig } from 'vitest/config';

/** `npm run bench`: measurements that print figures (and save bench/out/results.json); they assert correctness, never timings. */
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
  },
});

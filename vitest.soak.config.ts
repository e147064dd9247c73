import { defineConfig } from 'vitest/config';

/**
 * `npm run soak`: the reliability suite at full counts (thousands of fuzz cases, 50 kills, the long
 * soak). Counts and figures print and go to bench/out/results.json. SOAK_SCALE (default 1) scales
 * every count; SOAK_MINUTES sets the soak's duration (default 30).
 */
export default defineConfig({
  test: {
    include: ['bench/soak/**/*.soak.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 7_200_000,
    hookTimeout: 1_800_000,
  },
});

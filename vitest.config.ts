import { defineConfig } from 'vitest/config';
import { contractAlias } from './src-renderer/contract-alias.ts';

export default defineConfig({
  resolve: { alias: contractAlias },
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});

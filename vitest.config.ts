import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { contractAlias } from './src-renderer/contract-alias.ts';

export default defineConfig({
  // Compiles the renderer's *.svelte.ts state classes (runes) for test/unit/renderer.
  plugins: [svelte()],
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

import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { contractAlias } from './src-renderer/contract-alias.ts';

export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [svelte()],
  resolve: { alias: contractAlias },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
});

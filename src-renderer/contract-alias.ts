/**
 * `$contract/...`: the renderer's one way into src-main (the contract, pure TS). Shared by vite and
 * vitest; src-renderer/tsconfig.json's `paths` says the same for svelte-check.
 */
import { fileURLToPath } from 'node:url';

export const contractAlias = { $contract: fileURLToPath(new URL('../src-main/contract', import.meta.url)) };

import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import { builtinModules } from 'node:module';

const NODE_BUILTINS = builtinModules.filter((m) => !m.startsWith('_'));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'playwright-report/', '.cache/', 'release/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  // The renderer reaches src-main only through the contract, by its alias, and never Node.
  {
    files: ['src-renderer/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src-main/**', '../../*'], message: 'The renderer imports src-main only as $contract/...' },
            { group: ['node:*'], message: 'The renderer runs in a browser: no Node modules.' },
          ],
        },
      ],
    },
  },
  // The contract is pure TS shared with the renderer: no Node, no other part of src-main.
  {
    files: ['src-main/contract/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*'], message: 'The contract imports nothing from other parts of src-main.' },
            { group: ['node:*'], message: 'The contract is pure TS: no Node modules.' },
          ],
          paths: NODE_BUILTINS.map((name) => ({ name, message: 'The contract is pure TS: no Node modules.' })),
        },
      ],
    },
  },
);

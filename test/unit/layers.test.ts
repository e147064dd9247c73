/** The import rules of src-main (scripts/check-layers.mjs): the real tree passes, a tree that breaks them does not. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.js';

const SCRIPT = join(ROOT, 'scripts', 'check-layers.mjs');
const check = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });

describe('import layers', () => {
  it('src-main imports only downward and has no import cycle', () => {
    const r = check();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/no wrong-way import, no cycle/);
  });

  it('names an upward import, an import between parallel transports and a cycle', () => {
    const root = tempDir('gs-layers-');
    const files: Record<string, string> = {
      'store/taxonomy.ts': "import { parseCsv } from '../ingest/csv.js';\n",
      'ingest/csv.ts': 'export const parseCsv = 1;\n',
      'electron/main.ts': "import type { CSP } from '../web/security.js';\n",
      'web/security.ts': 'export type CSP = string;\n',
      'cli/main.ts': "import {\n  serve,\n} from './serve.js';\nexport type Io = 1;\n",
      'cli/serve.ts': "import type { Io } from './main.js';\nexport const serve = 1;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').sort()).toEqual([
      'electron/main.ts imports web/security.ts: electron/ may not import web/',
      'import cycle: cli/main.ts -> cli/serve.ts -> cli/main.ts',
      'store/taxonomy.ts imports ingest/csv.ts: store/ may not import ingest/',
    ]);
  });
});

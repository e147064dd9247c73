/**
 * CI slice of the kill run (the soak kills the server 50 times): 8 annotators
 * save labels through the real serve process while it is SIGKILLed and
 * restarted; no acknowledged write is lost, undo works, the file is intact.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CLI, tempDir } from '../../helpers.js';
import { SEED_FOLDER } from '../../reliability/fuzz-bases.js';
import { killWrites } from '../../reliability/kill-writes.js';

it('keeps every acknowledged label write across SIGKILLs of the server', async () => {
  const db = join(tempDir(), 'p.sqlite');
  execFileSync(process.execPath, [CLI, 'import', '--db', db, '--folder', SEED_FOLDER, '--json'], { stdio: 'pipe' });
  const c = await killWrites({
    db,
    token: 'kill-test-token-0123456789abcdef',
    clients: 8,
    kills: 4,
    seed: 14,
    upMs: [2000, 5000],
  });
  const { failures, ...figures } = c;
  console.log(`kill writes ${JSON.stringify(figures)}${failures.length ? `\n  ${failures.join('\n  ')}` : ''}`);
  expect(failures).toEqual([]);
  expect(c.kills).toBe(4);
  expect(c.acknowledged).toBeGreaterThan(50);
  expect({ lost: c.lost, wrongFinal: c.wrongFinal, undoFailed: c.undoFailed, integrity: c.integrity }).toEqual({
    lost: 0,
    wrongFinal: 0,
    undoFailed: 0,
    integrity: 'ok',
  });
  expect(c.undoChecked).toBe(8);
}, 300_000);

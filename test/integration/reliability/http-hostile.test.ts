/**
 * CI slice of the hostile-input run against the real `grapheme-studio serve`
 * process (the soak sends 20,000 requests): every request settles with the
 * typed envelope or a plain 4xx, none hangs or shows a stack trace, no file
 * outside the renderer leaks, and the server stays up with bounded memory.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { CLI, tempDir } from '../../helpers.js';
import { SEED_FOLDER } from '../../reliability/fuzz-bases.js';
import { hostileHttp } from '../../reliability/hostile-http.js';
import { startServe, type ServeProcess } from '../../reliability/serve-process.js';

let server: ServeProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

it('answers 2,000 hostile requests with envelopes or 4xx, drops slow clients, and stays up', async () => {
  const dir = tempDir();
  const db = join(dir, 'p.sqlite');
  execFileSync(process.execPath, [CLI, 'import', '--db', db, '--folder', SEED_FOLDER, '--json'], { stdio: 'pipe' });
  server = await startServe(db, 'hostile-test-token-0123456789abcdef');
  const c = await hostileHttp(server, {
    seed: 14,
    cases: 2000,
    concurrency: 16,
    trickles: 8,
    slowloris: 40,
    flood: 300,
    slowlorisWaitMs: 40_000,
    dir,
  });
  const { failures, ...figures } = c;
  console.log(`hostile http ${JSON.stringify(figures)}${failures.length ? `\n  ${failures.join('\n  ')}` : ''}`);
  expect(failures).toEqual([]);
  expect(c.requests).toBe(2000);
  expect({
    hangs: c.hangs,
    resets: c.resets,
    serverErrors: c.serverErrors,
    stackTraces: c.stackTraces,
    leaks: c.leaks,
    wrong: c.wrong,
  }).toEqual({ hangs: 0, resets: 0, serverErrors: 0, stackTraces: 0, leaks: 0, wrong: 0 });
  expect(c.trickled).toEqual({ sent: 8, answered: 8 });
  expect(c.flood).toEqual({ sent: 300, ok: 300 });
  expect(c.slowloris.closedByServer).toBe(40);
  expect(c.alive).toBe(true);
  // Bounded: the run must not keep what it was sent (8 MB bodies among them).
  expect(c.rss.endMiB - c.rss.startMiB).toBeLessThan(150);
}, 300_000);

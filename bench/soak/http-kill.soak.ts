/**
 * Browser mode at full counts: 20,000 hostile requests against the real serve
 * process, then 8 annotators saving labels through 50 SIGKILLs of it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CLI } from '../../test/helpers.js';
import { SEED_FOLDER } from '../../test/reliability/fuzz-bases.js';
import { hostileHttp } from '../../test/reliability/hostile-http.js';
import { killWrites } from '../../test/reliability/kill-writes.js';
import { startServe } from '../../test/reliability/serve-process.js';
import { record } from '../report.js';
import { scaled } from './scale.js';

const dir = mkdtempSync(join(tmpdir(), 'gs-soak-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function project(name: string): string {
  const db = join(dir, name);
  execFileSync(process.execPath, [CLI, 'import', '--db', db, '--folder', SEED_FOLDER, '--json'], { stdio: 'pipe' });
  return db;
}

it('hostile requests', async () => {
  const server = await startServe(project('hostile.sqlite'), 'soak-hostile-token-0123456789abcdef');
  try {
    const c = await hostileHttp(server, {
      seed: Number(process.env.SOAK_SEED ?? 2026),
      cases: scaled(20_000),
      concurrency: 32,
      trickles: scaled(32),
      slowloris: scaled(200),
      flood: scaled(2000),
      slowlorisWaitMs: 60_000,
      dir,
    });
    for (const k of [
      'requests',
      'envelopes',
      'refusals4xx',
      'ok2xx',
      'serverErrors',
      'stackTraces',
      'resets',
      'hangs',
      'leaks',
      'wrong',
    ] as const)
      record(`http hostile ${k}`, c[k]);
    record('http hostile by category', JSON.stringify(c.byCategory));
    record('http hostile trickled answered', `${c.trickled.answered}/${c.trickled.sent}`);
    record('http hostile slowloris closed by server', `${c.slowloris.closedByServer}/${c.slowloris.opened}`);
    record('http hostile flood ok', `${c.flood.ok}/${c.flood.sent}`);
    record('http hostile server rss start/peak/end', `${c.rss.startMiB}/${c.rss.peakMiB}/${c.rss.endMiB}`, 'MiB');
    record('http hostile server alive', String(c.alive));
    if (c.failures.length) console.log(c.failures.join('\n'));
    expect(c.failures).toEqual([]);
  } finally {
    await server.stop();
  }
});

it('acknowledged writes across kills', async () => {
  const c = await killWrites({
    db: project('kills.sqlite'),
    token: 'soak-kill-token-0123456789abcdef',
    clients: 8,
    kills: scaled(50),
    seed: Number(process.env.SOAK_SEED ?? 2026),
    upMs: [1000, 6000],
  });
  for (const k of ['kills', 'attempted', 'acknowledged', 'lost', 'wrongFinal', 'undoChecked', 'undoFailed'] as const)
    record(`kill writes ${k}`, c[k]);
  record('kill writes integrity_check', c.integrity);
  record('kill writes ack p50', c.ackMs.p50, 'ms');
  record('kill writes ack p99', c.ackMs.p99, 'ms');
  if (c.failures.length) console.log(c.failures.join('\n'));
  expect(c.failures).toEqual([]);
});

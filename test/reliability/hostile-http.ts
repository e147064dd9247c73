/**
 * Runs hostile requests against a real browser-mode server and counts how
 * each settled. Alongside: clients that trickle a request a byte at a time,
 * clients that send half a header and stop (slowloris), a flood of
 * concurrent requests, and the server's memory sampled throughout.
 */
import { connect, type Socket } from 'node:net';
import { ERROR_CODES } from '../../src-main/contract/envelope.js';
import { contractCase, transportCase, urlCase, type HostileCase } from './hostile-cases.js';
import { Rng } from './mutate.js';
import { raw, type RawReply } from './raw-http.js';
import type { ServeProcess } from './serve-process.js';

export interface HttpCounts {
  requests: number;
  envelopes: number;
  refusals4xx: number;
  ok2xx: number;
  serverErrors: number;
  stackTraces: number;
  /** Connections closed without any HTTP answer. */
  resets: number;
  hangs: number;
  /** Answers that carried a file from outside the renderer folder. */
  leaks: number;
  /** Answers of the wrong kind for the case (e.g. 200 for a wrong token). */
  wrong: number;
  byCategory: Record<string, number>;
  trickled: { sent: number; answered: number };
  slowloris: { opened: number; closedByServer: number; waitedMs: number };
  flood: { sent: number; ok: number };
  rss: { startMiB: number; peakMiB: number; endMiB: number };
  alive: boolean;
  failures: string[];
}

export interface HostileOptions {
  seed: number;
  cases: number;
  concurrency: number;
  trickles: number;
  slowloris: number;
  flood: number;
  /** How long to wait for the server to drop half-sent requests. */
  slowlorisWaitMs: number;
  dir: string;
}

const STACK = /\n\s+at |node:internal|\.[cm]?js:\d+:\d+/;
const LEAK = /root:x:0:0|"devDependencies"/;

function judge(c: HttpCounts, kase: HostileCase, reply: RawReply): string | null {
  c.requests++;
  c.byCategory[kase.category] = (c.byCategory[kase.category] ?? 0) + 1;
  if (reply.kind === 'hang')
    return (c.hangs++, `no answer in ${Math.round(reply.ms)} ms (${reply.sent}/${reply.of} bytes sent)`);
  if (reply.kind === 'reset') return (c.resets++, 'connection closed without an answer');
  const { status, body } = reply;
  if (STACK.test(body)) return (c.stackTraces++, `stack trace in the answer: ${body.slice(0, 200)}`);
  if (LEAK.test(body)) return (c.leaks++, 'a file from outside the renderer');
  if (status >= 500 && status !== 503) return (c.serverErrors++, `status ${status}: ${body.slice(0, 200)}`);
  if (status >= 200 && status < 300) c.ok2xx++;
  else if (status >= 400 && status < 500) c.refusals4xx++;
  if (kase.statuses && !kase.statuses.includes(status))
    return (c.wrong++, `status ${status}, expected ${kase.statuses}`);
  if (kase.expect === 'refusal' && (status < 400 || status >= 500))
    return (c.wrong++, `status ${status} for a refusal`);
  if (kase.expect === 'static' && status !== 200 && (status < 400 || status >= 500))
    return (c.wrong++, `status ${status}`);
  // A path that normalizes out of /image/ is a static page (the app), never an image of another id.
  if (
    kase.expect === 'no image' &&
    (status === 200 ? /^image\//.test(reply.headers['content-type'] ?? '') : status < 400)
  )
    return (c.wrong++, `status ${status} ${reply.headers['content-type']}`);
  if (kase.expect !== 'envelope') return null;
  try {
    const e = JSON.parse(body) as { ok: boolean; error?: { code: string; message: string } };
    if (e.ok === true) return (c.envelopes++, null);
    if (e.ok !== false || !ERROR_CODES.includes(e.error!.code as never) || typeof e.error!.message !== 'string')
      return (c.wrong++, `not an envelope: ${body.slice(0, 200)}`);
    if (e.error!.code === 'internal') return (c.serverErrors++, `internal error: ${e.error!.message}`);
    c.envelopes++;
    return null;
  } catch {
    // Node's own parser refuses what is not HTTP (a raw byte in the path) with a plain 400.
    return status >= 400 && status < 500 ? null : (c.wrong++, `not JSON: ${body.slice(0, 200)}`);
  }
}

/** Half a request's headers, then silence: the server should drop the connection in time. */
function slowloris(port: number): Promise<Socket> {
  return new Promise((ok) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(`POST /api/stats.get HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `);
      s.resume(); // reads the server's 408 and its end of the connection
      ok(s);
    });
    s.on('error', () => {});
  });
}

function floodRequest(i: number, headers: Record<string, string>) {
  if (i % 3 === 0) return { path: '/api/stats.get', headers, body: '{}' };
  if (i % 3 === 1) return { path: '/api/images.page', headers, body: '{"limit":50}' };
  return { method: 'GET', path: '/image/1', headers };
}

async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export async function hostileHttp(server: ServeProcess, o: HostileOptions): Promise<HttpCounts> {
  const { port, token } = server;
  const c: HttpCounts = {
    requests: 0,
    envelopes: 0,
    refusals4xx: 0,
    ok2xx: 0,
    serverErrors: 0,
    stackTraces: 0,
    resets: 0,
    hangs: 0,
    leaks: 0,
    wrong: 0,
    byCategory: {},
    trickled: { sent: 0, answered: 0 },
    slowloris: { opened: 0, closedByServer: 0, waitedMs: 0 },
    flood: { sent: 0, ok: 0 },
    rss: { startMiB: server.rssMiB(), peakMiB: 0, endMiB: 0 },
    alive: false,
    failures: [],
  };
  const sampler = setInterval(() => (c.rss.peakMiB = Math.max(c.rss.peakMiB, server.rssMiB())), 100);
  // Up to 25 notes of each kind (case, trickled, flood, ...), so one kind cannot hide another.
  const noted = new Map<string, number>();
  const note = (what: string) => {
    const kind = what.split(' ')[0]!;
    noted.set(kind, (noted.get(kind) ?? 0) + 1);
    if (noted.get(kind)! <= 25) c.failures.push(what);
  };

  const loris = await Promise.all(Array.from({ length: o.slowloris }, () => slowloris(port)));
  c.slowloris.opened = loris.length;
  const closed = loris.map((s) => new Promise<void>((done) => s.once('close', () => done())));
  const closedAt = performance.now();

  const stats = { 'content-type': 'application/json', 'x-grapheme-token': token };
  const trickles = Array.from({ length: o.trickles }, () =>
    raw(port, { path: '/api/stats.get', headers: stats, body: '{}', trickle: { bytes: 1, everyMs: 25 } }, 60_000).then(
      (r) => {
        c.trickled.sent++;
        if (r.kind === 'reply' && r.status === 200) c.trickled.answered++;
        else
          note(
            `trickled request: ${r.kind === 'reply' ? r.status : r.kind === 'hang' ? `hang, ${r.sent}/${r.of} bytes sent in ${Math.round(r.ms)} ms` : r.kind}`,
          );
      },
    ),
  );

  const cases: HostileCase[] = [];
  for (let n = 0; n < o.cases; n++) {
    const rng = new Rng(o.seed * 7919 + n);
    const k = rng.int(10);
    cases.push(k < 6 ? contractCase(rng, token, o.dir) : k < 8 ? transportCase(rng, token) : urlCase(rng, token));
  }
  await pool(
    cases.map((kase, i) => ({ kase, i })),
    o.concurrency,
    async ({ kase, i }) => {
      const why = judge(c, kase, await raw(port, kase.request));
      if (why)
        note(`case ${i} ${kase.category} ${kase.request.method ?? 'POST'} ${kase.request.path.slice(0, 80)}: ${why}`);
    },
  );

  const flood = Array.from({ length: o.flood }, (_, i) => raw(port, floodRequest(i, stats), 60_000));
  for (const r of await Promise.all(flood)) {
    c.flood.sent++;
    if (r.kind === 'reply' && r.status === 200) c.flood.ok++;
    else
      note(
        `flood request: ${r.kind === 'reply' ? `${r.status} ${r.body.slice(0, 100)}` : `${r.kind} after ${Math.round(r.ms)} ms`}`,
      );
  }
  await Promise.all(trickles);

  const waited = await Promise.race([
    Promise.all(closed).then(() => true),
    new Promise<boolean>((done) => setTimeout(() => done(false), o.slowlorisWaitMs)),
  ]);
  c.slowloris.waitedMs = Math.round(performance.now() - closedAt);
  c.slowloris.closedByServer = loris.filter((s) => s.readableEnded).length;
  if (!waited)
    note(`${loris.length - c.slowloris.closedByServer} half-sent requests still open after ${o.slowlorisWaitMs} ms`);
  for (const s of loris) s.destroy();

  clearInterval(sampler);
  c.rss.endMiB = server.rssMiB();
  const last = await raw(port, { path: '/api/stats.get', headers: stats, body: '{}' });
  c.alive = last.kind === 'reply' && last.status === 200 && server.proc.exitCode === null;
  for (const k of ['startMiB', 'peakMiB', 'endMiB'] as const) c.rss[k] = Math.round(c.rss[k]);
  return c;
}

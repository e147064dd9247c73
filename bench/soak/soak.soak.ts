/**
 * The soak: a 200,000-image project in the real serve process, with
 * annotators saving labels, others browsing pages, contact sheets and
 * images, and a training run, all at once for SOAK_MINUTES (default 30).
 * Reports the server's memory over time, label acknowledgement p50/p99
 * against an idle baseline, browse latency, and whether the app's page kept
 * answering. SOAK_IMAGES sets the project size (default 200,000).
 *
 * The project is built straight through the store from the 405 real crops,
 * each used about 500 times under its own name and content hash (a parquet
 * import of 200,000 rows takes minutes that measure the importer, not this).
 */
import { createHash } from 'node:crypto';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { decodeImage } from '../../src-main/ingest/decode.js';
import { encodeImage } from '../../src-main/ingest/encode.js';
import { DEFAULT_CACHE_SIZE } from '../../src-main/ingest/preprocess.js';
import { Project } from '../../src-main/store/project.js';
import { formSamples, FORMS_DIR } from '../../test/fixtures/parquet.js';
import { startServe, type ServeProcess } from '../../test/reliability/serve-process.js';
import { percentile } from '../../test/reliability/stats.js';
import { record } from '../report.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const IMAGES = Number(process.env.SOAK_IMAGES ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'gs-soak-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function buildProject(file: string): Promise<number> {
  const samples = formSamples();
  const crops = await Promise.all(
    samples.map(async (s) => {
      const bytes = readFileSync(join(FORMS_DIR, s.path));
      const img = await decodeImage(bytes);
      return { s, bytes, img, cache: encodeImage(img.gray, img.width, img.height, { png: false }).cache };
    }),
  );
  const p = new Project(file);
  const insert = p.db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const c = crops[i % crops.length]!;
      p.images.insert({
        imageId: `soak/${i}`,
        sha256: createHash('sha256').update(c.bytes).update(String(i)).digest(),
        source: c.s.path,
        width: c.img.width,
        height: c.img.height,
        format: 'png',
        bytes: c.bytes,
        cacheSize: DEFAULT_CACHE_SIZE,
        cache: c.cache,
      });
    }
  });
  for (let i = 0; i < IMAGES; i += 10_000) insert(i, Math.min(IMAGES, i + 10_000));
  // The first 4,050 carry their crop's ground truth: what the training run learns from.
  const labeled = Math.min(IMAGES, crops.length * 10);
  p.labels.apply(
    Array.from({ length: labeled }, (_, i) => {
      const { s } = crops[i % crops.length]!;
      return { imageId: i + 1, state: 'labeled' as const, root: s.root, vowel: s.vowel, consonant: s.consonant };
    }),
    'soak-setup',
    'import',
  );
  p.close();
  return labeled;
}

interface Phase {
  label: number[];
  browse: number[];
  errors: string[];
  /** Requests with no answer within 30 s (aborted by the client): the issue's "never hang". */
  unsettled: number;
}

const newPhase = (): Phase => ({ label: [], browse: [], errors: [], unsettled: 0 });

function failed(out: Phase, err: unknown): void {
  if ((err as Error).name === 'TimeoutError') out.unsettled++;
  out.errors.push((err as Error).message);
}

async function call(s: ServeProcess, method: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${s.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-grapheme-token': s.token },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const e = (await res.json()) as { ok: boolean; value?: unknown; error?: { message: string } };
  if (!e.ok) throw new Error(`${method}: ${e.error!.message}`);
  return e.value;
}

/** One annotator: a save every `everyMs`, on images past the training set. */
async function annotator(s: ServeProcess, n: number, until: number, everyMs: number, out: Phase) {
  for (let k = 0; Date.now() < until; k++) {
    const imageId = 5000 + ((n * 7919 + k * 104729) % (IMAGES - 5000));
    const t0 = performance.now();
    try {
      await call(s, 'labels.set', {
        imageId,
        state: 'labeled',
        root: k % 168,
        vowel: k % 11,
        consonant: k % 7,
        annotator: `soak-${n}`,
      });
      out.label.push(performance.now() - t0);
    } catch (err) {
      failed(out, err);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One browser: a page of the grid at a random place, its contact sheet, and one full image. */
async function browser(s: ServeProcess, n: number, until: number, out: Phase) {
  for (let k = 0; Date.now() < until; k++) {
    const t0 = performance.now();
    try {
      const after = (n * 31 + k * 7907) % IMAGES;
      const filter = k % 3 === 0 ? { state: 'unlabeled' } : k % 3 === 1 ? { root: k % 168 } : {};
      const page = (await call(s, 'images.page', { ...filter, after, limit: 96 })) as { items: { id: number }[] };
      if (page.items.length) await call(s, 'images.sheet', { ids: page.items.slice(0, 96).map((i) => i.id) });
      const img = await fetch(`${s.origin}/image/${1 + (after % IMAGES)}`, {
        headers: { 'x-grapheme-token': s.token },
        signal: AbortSignal.timeout(30_000),
      });
      await img.arrayBuffer();
      out.browse.push(performance.now() - t0);
    } catch (err) {
      failed(out, err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: +percentile(s, 50).toFixed(2), p99: +percentile(s, 99).toFixed(2) };
};

interface Figures {
  idle: Phase;
  load: Phase;
  idleLoadAvg: number;
  loadAvg: number[];
  rssStart: number;
  rss: number[];
  ui: { probes: number; answered: number; slowestMs: number };
  run: { status: string; error: string | null; epochs: unknown[] };
  steps: number;
}

function report(f: Figures): void {
  const idle = stats(f.idle.label);
  const load = stats(f.load.label);
  const half = Math.floor(f.rss.length / 2);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const la = (xs: number[]) => `load average ${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
  record('soak minutes', MINUTES);
  record('soak label ack idle p50/p99', `${idle.p50}/${idle.p99}`, `ms (${idle.n} saves, ${la([f.idleLoadAvg])})`);
  record('soak label ack under load p50/p99', `${load.p50}/${load.p99}`, `ms (${load.n} saves, ${la(f.loadAvg)})`);
  record('soak label ack p99 ratio load/idle', load.p99 / idle.p99);
  const b = stats(f.load.browse);
  record('soak browse (page+sheet+image) p50/p99', `${b.p50}/${b.p99}`, `ms (${b.n} rounds)`);
  const peak = Math.max(...f.rss);
  record(
    'soak server rss start/peak/end',
    `${f.rssStart.toFixed(0)}/${peak.toFixed(0)}/${f.rss.at(-1)?.toFixed(0)}`,
    'MiB',
  );
  record(
    'soak server rss mean first half/second half of the load',
    `${mean(f.rss.slice(0, half)).toFixed(0)}/${mean(f.rss.slice(half)).toFixed(0)}`,
    'MiB',
  );
  record('soak ui probes answered', `${f.ui.answered}/${f.ui.probes}`, `(slowest ${f.ui.slowestMs.toFixed(0)} ms)`);
  record('soak requests that did not settle in 30 s', f.idle.unsettled + f.load.unsettled);
  const status = `status ${f.run.status}${f.run.error ? `: ${f.run.error}` : ''}`;
  record('soak training epochs / batches during the soak', `${f.run.epochs.length}/${f.steps}`, `(${status})`);
  record('soak errors', f.load.errors.length + f.idle.errors.length);
  if (f.load.errors.length) console.log(f.load.errors.slice(0, 20).join('\n'));
}

/** Probes the app's page every 10 s; a probe that fails or gets no page counts as not answered. */
function probeUi(server: ServeProcess, ui: Figures['ui'], out: Phase): NodeJS.Timeout {
  return setInterval(async () => {
    ui.probes++;
    const p0 = performance.now();
    try {
      const page = await fetch(`${server.origin}/`, { signal: AbortSignal.timeout(30_000) });
      const html = await page.text();
      if (page.ok && html.includes('<title>Grapheme Studio')) ui.answered++;
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') out.unsettled++;
    }
    ui.slowestMs = Math.max(ui.slowestMs, performance.now() - p0);
  }, 10_000);
}

it(`soak: ${IMAGES} images, labeling + browsing + training for ${MINUTES} min`, async () => {
  const db = join(dir, 'soak.sqlite');
  const t0 = Date.now();
  const labeled = await buildProject(db);
  record('soak project build', (Date.now() - t0) / 1000, `s (${IMAGES} images, ${labeled} labeled)`);
  const server = await startServe(db, 'soak-token-0123456789abcdef');
  let runId = 0;
  try {
    const rssStart = server.rssMiB();
    // Idle baseline: one annotator alone, nothing else running.
    const idle = newPhase();
    const idleLoadAvg = loadavg()[0]!;
    await annotator(server, 99, Date.now() + 20_000, 50, idle);
    ({ runId } = (await call(server, 'training.start', {
      arch: 'resnet18',
      size: 32,
      baseWidth: 8,
      epochs: 1000,
      batch: 32,
      engine: 'auto',
    })) as { runId: number });
    const load = newPhase();
    const rss: number[] = [];
    const loadAvg: number[] = [];
    const ui = { probes: 0, answered: 0, slowestMs: 0 };
    const until = Date.now() + MINUTES * 60_000;
    const sampler = setInterval(() => {
      rss.push(server.rssMiB());
      loadAvg.push(loadavg()[0]!);
    }, 5_000);
    const prober = probeUi(server, ui, load);
    await Promise.all([
      ...Array.from({ length: 4 }, (_, n) => annotator(server, n, until, 100, load)),
      ...Array.from({ length: 2 }, (_, n) => browser(server, n, until, load)),
    ]);
    clearInterval(sampler);
    clearInterval(prober);
    const run = (await call(server, 'runs.get', { runId })) as Figures['run'];
    await call(server, 'training.stop', { runId }).catch(() => {});
    await server.stop();
    report({ idle, load, idleLoadAvg, loadAvg, rssStart, rss, ui, run, steps: trainedSteps(db, runId) });
    expect(load.errors).toEqual([]);
    expect(load.unsettled + idle.unsettled).toBe(0);
    expect(ui.answered).toBe(ui.probes);
  } finally {
    await server.stop();
  }
});

/** Batches the run trained (its per-batch loss rows), read from the project after the server stopped. */
function trainedSteps(file: string, runId: number): number {
  const p = new Project(file);
  try {
    return p.db.prepare('SELECT count(*) FROM run_batches WHERE run_id = ?').pluck().get(runId) as number;
  } finally {
    p.close();
  }
}

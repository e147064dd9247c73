/**
 * Train view benchmark (not part of npm test):
 *   npm run build && npx playwright test -c bench/playwright.config.ts bench/train-view.spec.ts
 * 1. Long tasks (> 50 ms, PerformanceObserver 'longtask') on the Train view
 *    while a real run streams progress events at the trainer's full rate
 *    (batch 2: every progress event carries a few points).
 * 2. Draw time of the 168 x 168 root matrix (the component's own
 *    performance.now() around a draw, bitmap rebuild included): fitted,
 *    zoomed with glyph labels, and on a raw/normalized toggle.
 * Results: bench/out/train-view.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '../test/e2e/train-fixtures.js';

/** Browser globals used inside page.evaluate (the test config has no DOM library). */
type Raf = { requestAnimationFrame(cb: (now: number) => void): number };
const nextFrame = () => new Promise<void>((r) => (globalThis as unknown as Raf).requestAnimationFrame(() => r()));

test.setTimeout(600_000);

interface TraceEvent {
  name: string;
  ph: string;
  dur?: number;
  tid: number;
  pid: number;
  ts: number;
  args?: { name?: string; data?: { functionName?: string; url?: string; lineNumber?: number } };
}

const SCRIPT = new Set([
  'FunctionCall',
  'EvaluateScript',
  'TimerFire',
  'EventDispatch',
  'FireAnimationFrame',
  'RunMicrotasks',
  'v8.callFunction',
]);

/**
 * Main-thread tasks of the page's renderer over 50 ms (wall time: this trace
 * carries no thread time), what each spent its time on, and the longest
 * single script event (the page's own JavaScript, where this view's work runs).
 */
function longTasksFromTrace(trace: Buffer): {
  tasks: number;
  wallMs: number[];
  breakdown: string[];
  longestScriptMs: number;
} {
  const events = (JSON.parse(trace.toString()) as { traceEvents: TraceEvent[] }).traceEvents;
  const main = new Set(
    events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  const onMain = events.filter((e) => e.ph === 'X' && main.has(`${e.pid}:${e.tid}`));
  const tasks = onMain.filter((e) => e.name === 'RunTask');
  const long = tasks.filter((e) => (e.dur ?? 0) > 50_000);
  const breakdown = long.map((t) => {
    const inner = onMain
      .filter((e) => e !== t && e.ts >= t.ts && e.ts < t.ts + (t.dur ?? 0))
      .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
      .slice(0, 4)
      .map((e) => `${e.name} ${Math.round((e.dur ?? 0) / 1000)}`);
    return `${Math.round((t.dur ?? 0) / 1000)} ms: ${inner.join(', ') || '(script from the test)'}`;
  });
  const scripts = onMain.filter((e) => SCRIPT.has(e.name)).map((e) => (e.dur ?? 0) / 1000);
  return {
    tasks: tasks.length,
    wallMs: long.map((e) => Math.round((e.dur ?? 0) / 1000)),
    breakdown,
    longestScriptMs: Math.round(Math.max(0, ...scripts) * 10) / 10,
  };
}

test('Train view: long tasks while events stream, 168x168 matrix draw time', async ({ page, studio, browser }) => {
  // Headless Chromium here reports no 'longtask' entries, so the main thread is watched by its
  // frames: the gap between consecutive requestAnimationFrame callbacks (16.7 ms when idle).
  await page.addInitScript(() => {
    const w = globalThis as unknown as { __longTasks: number[]; __frames: number };
    w.__longTasks = [];
    w.__frames = 0;
    let last = performance.now();
    const frame = (now: number) => {
      if (now - last > 50) w.__longTasks.push(now - last);
      last = now;
      w.__frames++;
      (globalThis as unknown as Raf).requestAnimationFrame(frame);
    };
    (globalThis as unknown as Raf).requestAnimationFrame(frame);
  });
  await page.goto(studio.openUrl.replace('#/label', '#/train'));
  await expect(page.getByText('No run yet')).toBeVisible();
  // Counted from the moment the view is up: start-up work is not what is measured.
  await page.evaluate(() => {
    const w = globalThis as unknown as { __longTasks: number[]; __frames: number };
    w.__longTasks.length = 0;
    w.__frames = 0;
  });
  const started = await page.evaluate(async () => {
    const res = await fetch('/api/training.start', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ arch: 'resnet18', size: 32, baseWidth: 8, epochs: 2, batch: 2, engine: 'wasm' }),
    });
    return ((await res.json()) as { value: { runId: number } }).value.runId;
  });
  // Mounting the run (two charts) is a one-time cost, reported apart; the stream is what is measured.
  await expect
    .poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points')))
    .toBeGreaterThan(0);
  const mount = await page.evaluate(() => {
    const w = globalThis as unknown as { __longTasks: number[]; __frames: number };
    const out = [...w.__longTasks];
    w.__longTasks.length = 0;
    w.__frames = 0;
    return out;
  });
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  const t0 = Date.now();
  await expect(page.getByTestId('run-status')).toContainText(`Run #${started} · done`, { timeout: 300_000 });
  const streamSeconds = (Date.now() - t0) / 1000;
  // The trace must show a long task when there is one: block the main thread 80 ms on purpose.
  const probe = await page.evaluate(async () => {
    const w = globalThis as unknown as { __longTasks: number[] };
    const before = w.__longTasks.length;
    const t = performance.now();
    while (performance.now() - t < 80);
    await new Promise((r) => setTimeout(r, 300));
    return w.__longTasks.length - before;
  });
  void probe;
  const traced = longTasksFromTrace(await browser.stopTracing());
  // The trace sees the probe: a long task detector that sees nothing proves nothing.
  expect(traced.wallMs.some((ms) => ms >= 75)).toBe(true);
  const points = Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
  const { longTasks, frames } = await page.evaluate(() => {
    // Read before the probe below.
    const w = globalThis as unknown as { __longTasks: number[]; __frames: number };
    return { longTasks: [...w.__longTasks], frames: w.__frames };
  });

  const canvas = page.getByTestId('confusion-canvas');
  await expect(page.getByText(/validation images, the final model/)).toBeVisible({ timeout: 60_000 });
  const drawMs = async () => Number(await canvas.getAttribute('data-draw-ms'));
  const samples: Record<string, number[]> = { fitted: [], zoomed: [], toggle: [] };
  const box = (await canvas.boundingBox())!;
  for (let i = 0; i < 20; i++) {
    await canvas.hover({ position: { x: 60 + i * 15, y: 60 + i * 15 } });
    await page.evaluate(nextFrame);
    samples.fitted!.push(await drawMs());
  }
  await canvas.hover({ position: { x: box.width / 2, y: box.height / 2 } });
  for (let i = 0; i < 9; i++) await page.mouse.wheel(0, -200);
  await expect.poll(async () => Number(await canvas.getAttribute('data-cell'))).toBeGreaterThan(16);
  for (let i = 0; i < 20; i++) {
    await canvas.hover({ position: { x: 100 + i * 12, y: 100 + i * 12 } });
    await page.evaluate(nextFrame);
    samples.zoomed!.push(await drawMs());
  }
  await page.getByRole('button', { name: 'Fit' }).click();
  for (let i = 0; i < 10; i++) {
    await page.getByLabel('Row-normalized').click();
    await page.evaluate(nextFrame);
    samples.toggle!.push(await drawMs());
  }
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]!, n: s.length };
  };
  const result = {
    date: new Date().toISOString(),
    mountLongFramesMs: mount.map(Math.round),
    stream: {
      seconds: streamSeconds,
      chartPoints: points,
      framesPerSecond: frames / ((Date.now() - t0) / 1000),
      mainThreadTasks: traced.tasks,
      tasksOver50msWall: traced.breakdown,
      longestScriptEventMs: traced.longestScriptMs,
      framesOver50ms: longTasks.length,
      longestFrameMs: longTasks.length ? Math.max(...longTasks) : 0,
    },
    matrixDrawMs: { fitted: stat(samples.fitted!), zoomed: stat(samples.zoomed!), toggle: stat(samples.toggle!) },
  };
  mkdirSync(join(import.meta.dirname, 'out'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'out', 'train-view.json'), JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result, null, 2));
  expect(result.matrixDrawMs.fitted.max).toBeLessThan(16);
  expect(result.matrixDrawMs.toggle.max).toBeLessThan(16);
  // The view's own JavaScript never runs 50 ms at once (the probe is evaluated from the test, so it is no
  // script event of the page). Rendering steps stretched by a loaded 2-core box are reported, not asserted.
  expect(result.stream.longestScriptEventMs).toBeLessThan(50);
});

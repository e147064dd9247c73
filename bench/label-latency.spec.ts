/**
 * Labeling speed on a 200,000-image project, in real Chromium over browser mode:
 *  - confirm key to the next image fully shown (performance marks the app sets:
 *    gs:confirm at the key, the gs:confirm-to-shown measure one frame after the
 *    decoded next image is in the DOM), p50/p95/max;
 *  - long tasks (over 50 ms) while scrolling the Browse grid.
 * Not part of npm test: `npx playwright test -c bench/playwright.config.ts`.
 * The project is built once into bench/out (BENCH_LABEL_IMAGES to change its size).
 */
import { test, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { Project } from '../src-main/store/project.js';
import { insertCopies } from './fill.js';
import { OUT, percentile, record } from './report.js';

const ROOT = resolve(import.meta.dirname, '..');
const IMAGES = Number(process.env.BENCH_LABEL_IMAGES ?? 200_000);
const DB = join(OUT, `label-${IMAGES}.db`);
const LABEL_FAST = 100;
const LABEL_PACED = 20;

/** One real handwritten sample, shrunk to the Bengali.AI size (137x236 grayscale), stored under many ids. */
async function buildProject(): Promise<void> {
  if (existsSync(DB)) return;
  const tmp = `${DB}.building`;
  rmSync(tmp, { force: true });
  const src = readFileSync(join(ROOT, 'resources/starter/bengaliai-forms/scan0000/r0c0.png'));
  const bytes = await sharp(src).grayscale().resize(236, 137, { fit: 'fill' }).png().toBuffer();
  const project = new Project(tmp);
  insertCopies(project, IMAGES, bytes);
  project.close();
  renameSync(tmp, DB);
}

/** The browser globals the page scripts below use (the test tsconfig has no DOM library). */
interface Win {
  localStorage: { setItem(k: string, v: string): void };
  requestAnimationFrame(cb: () => void): number;
  PerformanceObserver: new (cb: (list: { getEntries(): { duration: number }[] }) => void) => {
    observe(o: { type: string; buffered?: boolean }): void;
  };
  __longTasks: number[];
}

let server: ChildProcess;
let openUrl = '';

test.beforeAll(async () => {
  test.setTimeout(600_000);
  await buildProject();
  server = spawn(process.execPath, [join(ROOT, 'bin/grapheme-studio.js'), 'serve', '--db', DB, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  openUrl = await new Promise<string>((ok) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Open (\S+)/.exec(out);
      if (m) ok(m[1]!);
    });
  });
});

test.afterAll(() => {
  server?.kill('SIGTERM');
});

async function shownId(page: Page): Promise<string> {
  const alt = await page.getByRole('img', { name: /Handwritten grapheme/ }).getAttribute('alt');
  return alt ?? '';
}

async function labelOne(page: Page, i: number): Promise<void> {
  const before = await shownId(page);
  await page.keyboard.type(String(13 + (i % 100)));
  await page.keyboard.press('Enter'); // root
  await page.keyboard.press('Enter'); // vowel: none
  await page.keyboard.press('Enter'); // consonant: none
  await page.keyboard.press('Enter'); // save and next
  await expect.poll(() => shownId(page)).not.toBe(before);
}

async function measures(page: Page, name = 'gs:confirm-to-shown'): Promise<number[]> {
  return page.evaluate((n) => performance.getEntriesByName(n).map((e) => e.duration), name);
}

function report(name: string, values: number[]): void {
  const sorted = [...values].sort((a, b) => a - b);
  record(`${name} p50`, percentile(sorted, 50), 'ms');
  record(`${name} p95`, percentile(sorted, 95), 'ms');
  record(`${name} max`, sorted[sorted.length - 1]!, 'ms');
  record(`${name} n`, sorted.length);
}

test('confirm key to next image shown, 200k images', async ({ page }) => {
  test.setTimeout(600_000);
  await page.addInitScript(() =>
    (globalThis as unknown as Win).localStorage.setItem('grapheme-studio.annotator', 'bench'),
  );
  await page.goto(openUrl);
  await expect(page.getByTestId('queue-position')).toContainText(/of [\d,]+ in queue/);
  await expect(page.getByRole('combobox', { name: 'Grapheme root' })).toBeFocused();

  // Back to back, as fast as the keyboard goes.
  for (let i = 0; i < LABEL_FAST; i++) await labelOne(page, i);
  const fast = await measures(page);
  expect(fast).toHaveLength(LABEL_FAST);
  // Figures from a shared machine mean little without how busy it was.
  record('label bench machine load average (1 min)', loadavg()[0]!);
  report('label confirm-to-shown (back to back)', fast);
  report('label confirm-to-saved (back to back)', await measures(page, 'gs:confirm-to-saved'));

  // At a human pace the counts refresh between images (stats.get on 200k rows): saves must not wait on it.
  await page.evaluate(() => performance.clearMeasures());
  for (let i = 0; i < LABEL_PACED; i++) {
    await page.waitForTimeout(1800);
    await labelOne(page, i);
  }
  const paced = await measures(page);
  report('label confirm-to-shown (1.8 s pace)', paced);
  report('label confirm-to-saved (1.8 s pace)', await measures(page, 'gs:confirm-to-saved'));
  expect(
    percentile(
      [...fast].sort((a, b) => a - b),
      95,
    ),
  ).toBeLessThan(50);
});

test('scrolling the Browse grid over 200k images: long tasks', async ({ page }) => {
  test.setTimeout(300_000);
  await page.addInitScript(() => {
    const w = globalThis as unknown as Win;
    w.localStorage.setItem('grapheme-studio.annotator', 'bench');
    w.__longTasks = [];
    new w.PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  const t0 = Date.now();
  await page.goto(openUrl.replace('#/label', '#/browse'));
  await expect(page.getByTestId('browse-count')).toHaveText(`${IMAGES.toLocaleString('en-US')} images`);
  record('browse first load (ids of 200k)', Date.now() - t0, 'ms');
  await page.waitForTimeout(1000);
  const loadTasks = await page.evaluate(() => (globalThis as unknown as Win).__longTasks.splice(0));
  record('browse load long tasks', loadTasks.length);
  record('browse load longest task', Math.max(0, ...loadTasks), 'ms');

  const grid = page.getByRole('listbox', { name: 'Images' });
  /** Scrolls `frames` frames by `step` px each (after an optional jump to a fraction of the range); returns frame gaps. */
  const scroll = (plan: { jumpTo?: number; step: number; frames: number }[]) =>
    grid.evaluate(async (el, steps) => {
      const gaps: number[] = [];
      let last = performance.now();
      for (const { jumpTo, step, frames } of steps) {
        if (jumpTo !== undefined) el.scrollTop = el.scrollHeight * jumpTo;
        for (let i = 0; i < frames; i++) {
          el.scrollTop += step;
          await new Promise<void>((r) => (globalThis as unknown as Win).requestAnimationFrame(r));
          const now = performance.now();
          gaps.push(now - last);
          last = now;
        }
      }
      return gaps;
    }, plan);
  const longTasks = () => page.evaluate(() => (globalThis as unknown as Win).__longTasks.splice(0));
  const phase = async (name: string, plan: { jumpTo?: number; step: number; frames: number }[]) => {
    await longTasks();
    const frames = await scroll(plan);
    await page.waitForTimeout(500);
    const tasks = await longTasks();
    const sorted = [...frames].sort((a, b) => a - b);
    record(`browse scroll ${name} long tasks (>50 ms)`, tasks.length);
    record(`browse scroll ${name} longest task`, Math.max(0, ...tasks), 'ms');
    record(`browse scroll ${name} frame gap p95`, percentile(sorted, 95), 'ms');
    record(`browse scroll ${name} frame gap max`, sorted[sorted.length - 1]!, 'ms');
    return tasks;
  };
  record('browse bench machine load average (1 min)', loadavg()[0]!);
  // A wheel at a reading pace (about 1,800 px/s, 6 s), then a fast fling (5,400 px/s) with jumps across the range.
  const wheel = await phase('wheel', [{ step: 30, frames: 360 }]);
  await phase('fling', [
    { step: 90, frames: 240 },
    ...[0.25, 0.5, 0.75, 0.999, 0.1].map((jumpTo) => ({ jumpTo, step: 120, frames: 30 })),
  ]);
  expect(wheel).toEqual([]);
});

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const OUT = join(import.meta.dirname, 'out');
mkdirSync(OUT, { recursive: true });

/** Prints a figure and records it in bench/out/results.json. */
export function record(name: string, value: number | string, unit = ''): void {
  const file = join(OUT, 'results.json');
  let results: Record<string, { value: number | string; unit: string; at: string }> = {};
  try {
    results = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // first figure
  }
  results[name] = { value, unit, at: new Date().toISOString() };
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`BENCH ${name}: ${typeof value === 'number' ? +value.toFixed(3) : value} ${unit}\n`);
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

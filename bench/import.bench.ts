/**
 * Parquet import throughput and peak memory on a generated 50,000-row file in
 * the competition layout (real handwriting, shifted so rows are distinct), and
 * bytes per image on disk.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { competitionImages, trainCsv, writeCompetitionParquet } from '../test/fixtures/parquet.js';
import { OUT, record } from './report.js';

const ROWS = Number(process.env.BENCH_PARQUET_ROWS ?? 50_000);
const CLI = join(import.meta.dirname, '..', 'bin', 'grapheme-studio.js');

/** Runs a command, sampling its peak resident memory from /proc. */
function runMeasured(args: string[]): Promise<{ code: number; stdout: string; seconds: number; peakRssMb: number }> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    let peak = 0;
    const timer = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
        if (hwm) peak = Math.max(peak, Number(hwm[1]) / 1024);
      } catch {
        // exited
      }
    }, 50);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code: code ?? -1, stdout, seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb: peak });
    });
  });
}

it(`imports a ${ROWS}-row competition parquet`, async () => {
  const file = join(OUT, `train_image_data_${ROWS}.parquet`);
  const csv = join(OUT, `train_${ROWS}.csv`);
  if (!existsSync(file) || !existsSync(csv)) {
    const images = await competitionImages();
    const t0 = Date.now();
    writeCompetitionParquet(file, { rows: ROWS, images, rowGroupSize: 2000 });
    writeFileSync(csv, trainCsv(images, ROWS));
    process.stdout.write(`generated ${file} in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  const db = join(OUT, 'import-bench.sqlite');
  for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });

  const run = await runMeasured([CLI, 'import', '--db', db, '--parquet', file, '--json']);
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ imported: ROWS, rejected: [] });
  record('parquet_import_images_per_s', ROWS / run.seconds, 'images/s');
  record('parquet_import_seconds', run.seconds, 's');
  record('parquet_import_peak_rss', run.peakRssMb, 'MB');
  record('parquet_file_size', statSync(file).size / 1e6, 'MB');
  record('storage_bytes_per_image', statSync(db).size / ROWS, 'bytes');

  const labels = await runMeasured([CLI, 'import', '--db', db, '--labels', csv, '--json']);
  expect(JSON.parse(labels.stdout)).toMatchObject({ labeled: ROWS });
  record('labels_csv_import_rows_per_s', ROWS / labels.seconds, 'rows/s');
});

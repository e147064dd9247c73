/**
 * The well-formed files the fuzzer mutates: real handwriting crops as PNG and
 * JPEG, and competition-layout parquet files (plus ones that are well formed
 * but wrong: zero rows, pixel columns of another physical type).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  competitionImages,
  competitionWriter,
  FORMS_DIR,
  PIXELS,
  writeCompetitionParquet,
} from '../fixtures/parquet.js';
import { parquetBase } from './mutate-parquet.js';
import type { FuzzBases } from './import-fuzz.js';

/** The folder the fuzz project is seeded from (81 real crops). */
export const SEED_FOLDER = join(FORMS_DIR, 'scan0000');

type PixelType = 'DOUBLE' | 'INT64' | 'BYTE_ARRAY' | 'FLOAT';

/** A competition-shaped file whose pixel columns have another physical type. */
function writeTyped(file: string, type: PixelType, rows: number): void {
  const values = (c: number) =>
    type === 'INT64'
      ? BigInt64Array.from({ length: rows }, (_, r) => BigInt((c + r) % 300))
      : type === 'BYTE_ARRAY'
        ? Array.from({ length: rows }, (_, r) => String((c * r) % 256))
        : Float64Array.from({ length: rows }, (_, r) => ((c + r) % 256) + 0.5);
  const writer = competitionWriter(file, PIXELS, {
    type,
    ...(type === 'BYTE_ARRAY' ? { converted_type: 'UTF8' } : {}),
  });
  writer.write({
    columnData: [
      { name: 'image_id', data: Array.from({ length: rows }, (_, r) => `Typed_${type}_${r}`) },
      ...Array.from({ length: PIXELS }, (_, c) => ({ name: String(c), data: values(c) })),
    ],
    rowGroupSize: rows,
  });
  writer.finish();
}

export async function fuzzBases(dir: string, withParquet: boolean): Promise<FuzzBases> {
  const pngFiles = readdirSync(SEED_FOLDER)
    .filter((f) => f.endsWith('.png'))
    .slice(0, 6);
  const png = pngFiles.map((f) => readFileSync(join(SEED_FOLDER, f)));
  const jpeg = await Promise.all(
    png.map((b, i) =>
      sharp(b)
        .jpeg({ quality: 80, progressive: i % 2 === 1 })
        .toBuffer(),
    ),
  );
  const names = pngFiles.map((f) => f.replace(/\.png$/, ''));
  const parquet = [];
  mkdirSync(dir, { recursive: true });
  if (withParquet) {
    const images = await competitionImages(6);
    const files: string[] = [];
    const add = (name: string, write: (f: string) => void) => {
      const f = join(dir, name);
      write(f);
      files.push(f);
    };
    add('base.parquet', (f) => writeCompetitionParquet(f, { rows: 5, images, rowGroupSize: 3, prefix: 'Fz_' }));
    add('zero.parquet', (f) => writeCompetitionParquet(f, { rows: 0, images, prefix: 'Zero_' }));
    add('double.parquet', (f) => writeTyped(f, 'DOUBLE', 2));
    add('int64.parquet', (f) => writeTyped(f, 'INT64', 2));
    add('text.parquet', (f) => writeTyped(f, 'BYTE_ARRAY', 2));
    for (const f of files) parquet.push(parquetBase(readFileSync(f)));
  }
  return { png, jpeg, parquet, names };
}

/** The import status line: rows, share, rate, time left and stage, as the service estimates them. */
import { describe, expect, it } from 'vitest';
import { describeImport, formatDuration } from '../../../src-renderer/src/lib/import-progress.js';

const base = { jobId: 'j', kind: 'parquet' as const, imported: 0, duplicates: 0, rejected: 0 };

describe('import status line', () => {
  it('shows the share, rate and time left while a row group is read, before any row is stored', () => {
    const text = describeImport({
      ...base,
      done: 0,
      total: 50_000,
      fraction: 0.083,
      rate: 2103.4,
      etaSeconds: 21.7,
      stage: 'reading train_image_data_0.parquet rows 0-9999',
    });
    expect(text).toBe(
      'Importing 0 of 50,000 rows (8%) · 2,103 rows/s · about 22 s left · reading train_image_data_0.parquet rows 0-9999',
    );
  });

  it('says nothing it does not know, and counts rejections', () => {
    expect(
      describeImport({ ...base, kind: 'folder', done: 12, total: null, rate: null, etaSeconds: null, rejected: 2 }),
    ).toBe('Importing 12 files · 2 rejected');
  });

  it('formats durations', () => {
    expect([formatDuration(0.4), formatDuration(75), formatDuration(3 * 3600 + 61)]).toEqual([
      '0 s',
      '1 min 15 s',
      '3 h 01 min',
    ]);
  });
});

/** The CLI's progress bar draws the sender's own estimate (work in progress counted) when it has one. */
import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../src-main/cli/progress.js';

function fakeTty() {
  const written: string[] = [];
  return {
    written,
    stream: { isTTY: true, columns: 200, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream,
  };
}

describe('CLI progress bar', () => {
  it('shows the estimated share, rate and ETA while nothing is stored yet', () => {
    const { written, stream } = fakeTty();
    const bar = new ProgressBar('import', stream, true);
    bar.update(0, 50_000, 'reading rows 0-9999', { fraction: 0.25, rate: 2000, etaSeconds: 18.75 });
    const line = written.at(-1)!;
    expect(line).toContain('[#######---------------------]  25%');
    expect(line).toContain('0/50000 2000/s ETA 19s reading rows 0-9999');
  });

  it('falls back to done / elapsed without an estimate', () => {
    const { written, stream } = fakeTty();
    const bar = new ProgressBar('import', stream, true);
    bar.update(10, 40);
    expect(written.at(-1)).toContain('[#######---------------------]  25%');
  });
});

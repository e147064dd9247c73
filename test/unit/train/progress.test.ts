import { describe, expect, it } from 'vitest';
import type { TrainingProgress } from '../../../src-main/contract/training.js';
import { ProgressStream } from '../../../src-main/train/progress.js';

describe('progress stream', () => {
  it('sends at most one message per 250 ms but keeps every batch, and flushes the rest', () => {
    let clock = 1_000;
    const sent: TrainingProgress[] = [];
    const s = new ProgressStream(
      { engine: 'cpu', device: 'd', reason: 'r' },
      100,
      (p) => sent.push(p),
      () => clock,
    );
    const at = (batch: number) => ({ epoch: 1, epochs: 1, batch, batches: 100 });
    for (let step = 1; step <= 10; step++) {
      clock += 100; // 10 batches a second
      s.add({ step, epoch: 1, loss: 10 - step, lr: 0.001 }, 32, at(step), false);
    }
    // t=1100 sends (first), then every 3rd batch (300 ms >= 250 ms): steps 1, 4, 7, 10
    expect(sent.map((p) => p.step)).toEqual([1, 4, 7, 10]);
    expect(sent.flatMap((p) => p.points.map((q) => q.step))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(sent[1]!.imagesPerSec).toBeCloseTo((3 * 32) / 0.3, 6);
    expect(sent[1]!.engine).toBe('cpu');
    clock += 50;
    s.add({ step: 11, epoch: 1, loss: 1, lr: 0.001 }, 32, at(11), false);
    expect(sent).toHaveLength(4);
    s.flush();
    expect(sent.at(-1)!.points.map((q) => q.step)).toEqual([11]);
    s.flush(); // nothing pending: nothing sent
    expect(sent).toHaveLength(5);
  });
});

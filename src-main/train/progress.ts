/**
 * Throttles the per-batch stream to a few progress messages a second while
 * keeping every batch's loss (sent along in `points`) for the run record.
 */
import { smoothNext } from '../contract/smoothing.js';
import type { BatchPoint, EngineInfo, TrainingProgress } from '../contract/training.js';

export const PROGRESS_INTERVAL_MS = 250;

export class ProgressStream {
  private pending: BatchPoint[] = [];
  private last = 0;
  private windowStart = Date.now();
  private windowImages = 0;
  private smoothed = NaN;
  private readonly started = Date.now();
  private steps = 0;

  constructor(
    private readonly engine: EngineInfo,
    private readonly totalSteps: number,
    private readonly send: (p: TrainingProgress) => void,
    private readonly now: () => number = Date.now,
  ) {}

  private at = { epoch: 0, epochs: 0, batch: 0, batches: 0 };

  /** Records one batch; sends a message if the interval has passed or `force` is set. */
  add(
    point: BatchPoint,
    images: number,
    at: { epoch: number; epochs: number; batch: number; batches: number },
    force: boolean,
  ) {
    this.steps++;
    this.smoothed = smoothNext(this.smoothed, point.loss);
    this.pending.push(point);
    this.windowImages += images;
    this.at = at;
    if (force || this.now() - this.last >= PROGRESS_INTERVAL_MS) this.flush();
  }

  /** Sends what is pending now (also before a stop, so every batch reaches the run record). */
  flush(): void {
    const point = this.pending.at(-1);
    if (!point) return;
    const now = this.now();
    const perStep = (now - this.started) / this.steps / 1000;
    this.send({
      ...this.engine,
      ...this.at,
      step: point.step,
      loss: point.loss,
      smoothedLoss: this.smoothed,
      lr: point.lr,
      imagesPerSec: (this.windowImages * 1000) / Math.max(1, now - this.windowStart),
      etaSeconds: perStep * (this.totalSteps - point.step),
      points: this.pending,
    });
    this.pending = [];
    this.last = now;
    this.windowStart = now;
    this.windowImages = 0;
  }
}

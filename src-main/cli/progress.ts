export interface Estimate {
  /** Share of the work done, 0..1. */
  fraction?: number;
  /** Items per second. */
  rate?: number | null;
  etaSeconds?: number | null;
}

/** A one-line progress bar on stderr, drawn only on a terminal. */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled = stream.isTTY === true,
  ) {}

  /**
   * Redraws the bar. `estimate` is the sender's own account of the work (an
   * import counts a row group being read before any of its rows is stored);
   * without it, the bar goes by `done` alone.
   */
  update(done: number, total: number | null, detail = '', estimate?: Estimate): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && done !== total) return;
    this.lastDraw = now;
    const width = 28;
    const elapsed = (now - this.started) / 1000;
    const rate = estimate?.rate ?? (elapsed > 0 ? done / elapsed : 0);
    let bar: string;
    let eta = '';
    if (total && total > 0) {
      const frac = Math.min(1, estimate?.fraction ?? done / total);
      const filled = Math.round(frac * width);
      bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%`;
      const left = estimate?.etaSeconds ?? (rate > 0 ? (total - done) / rate : null);
      if (left !== null && done < total) eta = ` ETA ${formatSeconds(left)}`;
    } else {
      bar = `[${'?'.repeat(3)}]`;
    }
    const line = `${this.label} ${bar} ${done}${total ? `/${total}` : ''} ${rate.toFixed(0)}/s${eta}${detail ? ` ${detail}` : ''}`;
    this.stream.write(`\r\x1b[K${line.slice(0, (this.stream.columns ?? 100) - 1)}`);
    this.drawn = true;
  }

  end(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

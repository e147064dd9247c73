/**
 * Project counts for the header and the coverage chart. A save adjusts the
 * counts locally at once; the full stats (a few table scans) are refetched
 * only when the app has been quiet, so they never delay a save.
 */
import { api } from '../api/client';
import type { LabelState, Stats } from '$contract/domain';

const QUIET_MS = 1500;

class StatsState {
  current = $state.raw<Stats | null>(null);
  error = $state<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | null = null;
  #following = false;

  async refresh(): Promise<void> {
    try {
      this.current = await api.call('stats.get', {});
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Refetch once things have been quiet for a moment. */
  soon(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.refresh();
    }, QUIET_MS);
  }

  /** Other windows, annotators and imports change the counts too: refetch when things are quiet. */
  follow(): void {
    if (this.#following) return;
    this.#following = true;
    api.on('labels.changed', () => this.soon());
    api.on('import.done', () => this.soon());
  }

  /** One image moved from one state to another: adjust the counts now. */
  moved(from: LabelState, to: LabelState): void {
    const s = this.current;
    if (!s || from === to) return;
    this.current = { ...s, [from]: s[from] - 1, [to]: s[to] + 1 };
    this.soon();
  }
}

export const stats = new StatsState();

/** In-app notifications for long work (training done or failed, export done). */
import { api } from '../api/client';

export interface Note {
  id: number;
  kind: 'ok' | 'error' | 'info';
  text: string;
  /** Where "Open" goes (a hash route). */
  href?: string;
}

const AUTO_DISMISS_MS = 10_000;

class Notifications {
  items = $state.raw<Note[]>([]);
  #next = 1;
  #subscribed = false;

  push(kind: Note['kind'], text: string, href?: string): void {
    const note = { id: this.#next++, kind, text, href };
    this.items = [...this.items, note].slice(-5);
    // Failures stay until dismissed: they need reading.
    if (kind !== 'error') setTimeout(() => this.dismiss(note.id), AUTO_DISMISS_MS);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id);
  }

  subscribe(): void {
    if (this.#subscribed) return;
    this.#subscribed = true;
    api.on('training.done', (e) => {
      const m = e.metrics;
      const score = m ? ` · hierarchical recall ${(100 * m.hierarchicalRecall).toFixed(1)}%` : '';
      this.push(
        'ok',
        e.status === 'done' ? `Run #${e.runId} finished training${score}` : `Run #${e.runId} stopped at a checkpoint`,
        `#/train?run=${e.runId}`,
      );
    });
    api.on('training.failed', (e) =>
      this.push('error', `Run #${e.runId} failed: ${e.error}`, `#/train?run=${e.runId}`),
    );
  }
}

export const notifications = new Notifications();

/**
 * Which trained run suggests labels in the Label view (chosen on the Runs
 * page, remembered), and a small cache of its suggestions per image.
 */
import { api } from '../api/client';
import type { Prediction } from '$contract/training';

const KEY = 'grapheme-studio.suggest-run';
const KEEP = 200;

function stored(): number | null {
  const v = localStorage.getItem(KEY);
  return v && /^\d+$/.test(v) ? Number(v) : null;
}

class SuggestRun {
  id = $state<number | null>(stored());
  #cache = new Map<string, Promise<Prediction | null>>();

  set(id: number | null): void {
    this.id = id;
    if (id === null) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, String(id));
  }

  /**
   * The suggestion for imageIds[0], the rest being the images that come next.
   * Images are requested in blocks (a request may start a trainer process):
   * when the first is missing, or when at least `block` of the window are.
   */
  get(runId: number, imageIds: number[], block: number): Promise<Prediction | null> {
    const missing = imageIds.filter((id) => !this.#cache.has(`${runId}:${id}`));
    if (missing.length && (missing[0] === imageIds[0] || missing.length >= block)) {
      const all = api.call('runs.suggest', { runId, imageIds: missing, k: 3 });
      for (const id of missing) {
        const one = all.then(
          (r) => r.predictions.find((p) => p.imageId === id) ?? null,
          (e: Error) => {
            this.#cache.delete(`${runId}:${id}`);
            throw e;
          },
        );
        this.#cache.set(`${runId}:${id}`, one);
      }
      while (this.#cache.size > KEEP) this.#cache.delete(this.#cache.keys().next().value!);
    }
    return this.#cache.get(`${runId}:${imageIds[0]}`)!;
  }
}

export const suggestRun = new SuggestRun();

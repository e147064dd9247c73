/**
 * One labeled image of the project per class, shown beside the class in a picker:
 * a real example in the project's own handwriting catches a wrong pick that the
 * printed glyph would not. Fetched once per class, on demand.
 */
import { SvelteMap } from 'svelte/reactivity';
import { api } from '../api/client';
import type { Component } from '$contract/domain';

class Examples {
  /** "component:class" -> an image id, null when the project has no labeled example. */
  #found = new SvelteMap<string, number | null>();
  #asked = new Set<string>();
  #following = false;

  /** The example's image id; undefined while unknown (the request starts now), null when there is none. */
  of(component: Component, classId: number): number | null | undefined {
    const key = `${component}:${classId}`;
    if (!this.#asked.has(key)) {
      this.#asked.add(key);
      api.call('images.page', { state: 'labeled', [component]: classId, limit: 1 }).then(
        (page) => this.#found.set(key, page.items[0]?.id ?? null),
        () => this.#asked.delete(key),
      );
    }
    return this.#found.get(key);
  }

  /** Labels change in other windows too: a class without an example may have one now. */
  follow(): void {
    if (this.#following) return;
    this.#following = true;
    api.on('labels.changed', () => this.recheckMissing());
  }

  /** Labels changed: a class without an example may have one now; ask again next time. */
  recheckMissing(): void {
    for (const [key, id] of this.#found) {
      if (id !== null) continue;
      this.#found.delete(key);
      this.#asked.delete(key);
    }
  }
}

export const examples = new Examples();

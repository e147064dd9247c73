/**
 * The Browse view's data: every id of the filter (so the grid can jump to
 * any position of 200,000), summaries fetched in blocks for what is on
 * screen, and the multi-selection.
 */
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import { api } from '../api/client';
import type { Component, ImageSummary } from '../../../../src-main/contract/domain';
import { annotator } from './annotator.svelte';
import { stats } from './stats.svelte';
import { sameFilter, type ImageFilter } from '../filter';

export const BLOCK = 120;
export const MAX_SELECTION = 10_000;

export class Browse {
  filter = $state.raw<ImageFilter>({});
  ids = $state.raw<number[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  readonly selected = new SvelteSet<number>();
  /** Where a shift-click range starts. */
  anchor = $state<number | null>(null);
  readonly #blocks = new SvelteMap<number, Map<number, ImageSummary>>();
  // Bookkeeping only, never rendered.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #pending = new Set<number>();
  /** Bumped when the id list is asked for again: older answers are dropped. */
  #idsGeneration = 0;
  /** Bumped when cached summaries go stale: blocks fetched before are dropped. */
  #generation = 0;

  async load(filter: ImageFilter, force = false): Promise<void> {
    if (!force && sameFilter(filter, this.filter) && this.ids.length > 0) return;
    const generation = ++this.#idsGeneration;
    if (!sameFilter(filter, this.filter)) {
      this.selected.clear();
      this.anchor = null;
    }
    this.filter = filter;
    this.loading = true;
    try {
      const { ids } = await api.call('images.ids', { ...filter });
      if (generation !== this.#idsGeneration) return;
      this.invalidate();
      this.ids = ids;
      this.error = null;
    } catch (e) {
      if (generation === this.#idsGeneration) this.error = (e as Error).message;
    } finally {
      if (generation === this.#idsGeneration) this.loading = false;
    }
  }

  summary(index: number): ImageSummary | undefined {
    const id = this.ids[index];
    if (id === undefined) return undefined;
    return this.#blocks.get(Math.floor(index / BLOCK))?.get(id);
  }

  /** Makes sure the summaries of positions [start, end) are loaded or on their way. */
  ensure(start: number, end: number): void {
    const last = Math.min(end, this.ids.length) - 1;
    for (let b = Math.floor(Math.max(0, start) / BLOCK); b <= Math.floor(last / BLOCK); b++) {
      if (this.#blocks.has(b) || this.#pending.has(b)) continue;
      void this.#fetchBlock(b);
    }
  }

  async #fetchBlock(b: number): Promise<void> {
    const first = this.ids[b * BLOCK];
    if (first === undefined) return;
    const generation = this.#generation;
    this.#pending.add(b);
    try {
      const page = await api.call('images.page', { ...this.filter, after: first - 1, limit: BLOCK });
      if (generation !== this.#generation) return;
      // A block is replaced whole, never mutated: the outer SvelteMap carries the reactivity.
      // eslint-disable-next-line svelte/prefer-svelte-reactivity
      this.#blocks.set(b, new Map(page.items.map((i) => [i.id, i])));
    } catch (e) {
      if (generation === this.#generation) this.error = (e as Error).message;
    } finally {
      if (generation === this.#generation) this.#pending.delete(b);
    }
  }

  /** Labels changed somewhere: drop cached summaries so the visible ones refetch. */
  invalidate(): void {
    this.#generation++;
    this.#blocks.clear();
    this.#pending.clear();
  }

  click(index: number, mode: 'toggle' | 'range'): void {
    const id = this.ids[index];
    if (id === undefined) return;
    if (mode === 'range' && this.anchor !== null) {
      const from = Math.min(this.anchor, index);
      const to = Math.max(this.anchor, index);
      for (let i = from; i <= to && this.selected.size < MAX_SELECTION; i++) this.selected.add(this.ids[i]!);
      return;
    }
    if (this.selected.has(id)) this.selected.delete(id);
    else if (this.selected.size < MAX_SELECTION) this.selected.add(id);
    this.anchor = index;
  }

  selectAll(): void {
    this.selected.clear();
    for (const id of this.ids.slice(0, MAX_SELECTION)) this.selected.add(id);
    if (this.ids.length > MAX_SELECTION) {
      this.notice = `Selected the first ${MAX_SELECTION.toLocaleString()} of ${this.ids.length.toLocaleString()} images.`;
    }
  }

  clearSelection(): void {
    this.selected.clear();
    this.anchor = null;
  }

  /** Sets one component on every selected image: one gesture, undone with one Ctrl+Z. */
  async setMany(component: Component, value: number): Promise<void> {
    const imageIds = [...this.selected];
    if (imageIds.length === 0) return;
    try {
      const { updated } = await api.call('labels.setMany', {
        imageIds,
        component,
        value,
        annotator: annotator.name,
      });
      this.notice = `Set ${component} ${value} on ${updated} of ${imageIds.length} images.`;
      this.error = null;
      void stats.refresh();
      this.invalidate();
      await this.load(this.filter, true);
    } catch (e) {
      this.error = `Not saved: ${(e as Error).message}`;
    }
  }

  async undo(redo = false): Promise<void> {
    try {
      const r = await api.call(redo ? 'labels.redo' : 'labels.undo', { annotator: annotator.name });
      this.notice = r.imageIds.length
        ? `${redo ? 'Redone' : 'Undone'} on ${r.imageIds.length} image${r.imageIds.length > 1 ? 's' : ''}.`
        : `Nothing to ${redo ? 'redo' : 'undo'}.`;
      void stats.refresh();
      this.invalidate();
      await this.load(this.filter, true);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }
}

/**
 * The Browse view's data: every id of the filter (so the grid can jump to
 * any position of 200,000), summaries fetched in blocks for what is on
 * screen, and the multi-selection.
 */
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import { api } from '../api/client';
import type { Component, ImageSummary } from '$contract/domain';
import { annotator } from './annotator.svelte';
import { stats } from './stats.svelte';
import { sameFilter, type ImageFilter } from '../filter';

export const BLOCK = 120;
/** Contact sheets kept (about 130 KB each); older ones are released. */
const SHEETS_KEPT = 48;

/** One block's thumbnails in one image (see images.sheet), as a blob: URL. */
export interface Sheet {
  url: string;
  columns: number;
  rows: number;
  /** Position of each image id on the sheet. */
  at: Map<number, number>;
}
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
  /** Sheets by the ids they show (labels never change them, so they outlive invalidate()). */
  readonly #sheets = new SvelteMap<string, Sheet>();
  // Bookkeeping only, never rendered.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #sheetsPending = new Set<string>();
  /** Decoded sheet images held so the browser keeps their pixels ready. */
  #decoded: HTMLImageElement[] = [];

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

  /** The contact sheet that holds the thumbnail at a position, once loaded. */
  sheet(index: number): Sheet | undefined {
    const b = Math.floor(index / BLOCK);
    return this.#sheets.get(this.#sheetKey(b));
  }

  #sheetKey(b: number): string {
    const first = this.ids[b * BLOCK];
    const last = this.ids[Math.min(this.ids.length, (b + 1) * BLOCK) - 1];
    // The ids of a block are ascending, so first, last and count name them well enough.
    return `${first}-${last}-${Math.min(BLOCK, this.ids.length - b * BLOCK)}`;
  }

  /** Makes sure the summaries of positions [start, end) are loaded or on their way. */
  ensure(start: number, end: number): void {
    const last = Math.min(end, this.ids.length) - 1;
    for (let b = Math.floor(Math.max(0, start) / BLOCK); b <= Math.floor(last / BLOCK); b++) {
      if (!this.#blocks.has(b) && !this.#pending.has(b)) void this.#fetchBlock(b);
    }
  }

  /** Makes sure the thumbnails (contact sheets) of positions [start, end) are loaded or on their way. */
  ensureSheets(start: number, end: number): void {
    const last = Math.min(end, this.ids.length) - 1;
    for (let b = Math.floor(Math.max(0, start) / BLOCK); b <= Math.floor(last / BLOCK); b++) {
      const key = this.#sheetKey(b);
      if (!this.#sheets.has(key) && !this.#sheetsPending.has(key)) void this.#fetchSheet(b, key);
    }
  }

  async #fetchSheet(b: number, key: string): Promise<void> {
    const ids = this.ids.slice(b * BLOCK, (b + 1) * BLOCK);
    if (ids.length === 0) return;
    this.#sheetsPending.add(key);
    try {
      const sheet = await api.call('images.sheet', { ids, width: 96 });
      const blob = dataUrlToBlob(sheet.dataUrl);
      const url = URL.createObjectURL(blob);
      // Decode off the main thread before any cell paints it, so no frame waits on a JPEG decode.
      const probe = new Image();
      probe.src = url;
      await probe.decode().catch(() => undefined);
      this.#decoded.push(probe);
      if (this.#decoded.length > SHEETS_KEPT) this.#decoded.shift();
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built once, never mutated
      const at = new Map(sheet.ids.map((id, i) => [id, i]));
      this.#sheets.set(key, {
        url,
        columns: sheet.columns,
        rows: Math.ceil(sheet.ids.length / sheet.columns),
        at,
      });
      for (const [old, s] of this.#sheets) {
        if (this.#sheets.size <= SHEETS_KEPT) break;
        URL.revokeObjectURL(s.url);
        this.#sheets.delete(old);
      }
    } catch {
      // No thumbnails for this block for now; the next scroll past it asks again.
    } finally {
      this.#sheetsPending.delete(key);
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

  /**
   * Labels changed (here or in another window): refresh what is on screen now, the id list once
   * things calm down. Returns the unsubscribe.
   */
  followLabels(): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = api.on('labels.changed', () => {
      this.invalidate();
      clearTimeout(timer);
      timer = setTimeout(() => void this.load(this.filter, true), 800);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
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

/** Decodes a base64 data: URL (connect-src does not allow fetching data: URLs). */
function dataUrlToBlob(dataUrl: string): Blob {
  const comma = dataUrl.indexOf(',');
  const type = /^data:([^;,]+)/.exec(dataUrl)?.[1] ?? 'application/octet-stream';
  const binary = atob(dataUrl.slice(comma + 1));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type });
}

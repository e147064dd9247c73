/**
 * The Label view's queue: images matching a filter in id order, fetched a
 * page ahead (keyset pagination) so that moving to the next image never
 * waits for the network. Undo puts the image it restored back in front.
 */
import { api } from '../api/client';
import { decodedImages } from '../api/images';
import type { ImageSummary } from '$contract/domain';
import { sameFilter, type ImageFilter } from '../filter';

const PAGE = 100;
/** Fetch the next page when fewer than this many images are left in the buffer. */
const LOW_WATER = 30;
/** Decoded images kept ready ahead of the current one. */
const AHEAD = 3;

export class Queue {
  filter = $state.raw<ImageFilter>({ state: 'unlabeled' });
  items = $state.raw<ImageSummary[]>([]);
  index = $state(0);
  /** Images matching the filter when the queue started. */
  total = $state(0);
  /** Position of items[0] among all images matching the filter (0-based). */
  base = $state(0);
  loading = $state(false);
  error = $state<string | null>(null);
  #next: number | null = null;
  #fetching: Promise<void> | null = null;
  #generation = 0;

  get current(): ImageSummary | undefined {
    return this.items[this.index];
  }

  /** 1-based position of the current image among the images of the filter. */
  get position(): number {
    return this.base + this.index + 1;
  }

  get done(): boolean {
    return !this.loading && this.current === undefined && this.#next === null;
  }

  /** Starts over with a filter, optionally at one image (from Browse) whose position is known. */
  async start(filter: ImageFilter, at?: number, position?: number): Promise<void> {
    if (at === undefined && sameFilter(filter, this.filter) && this.items.length > 0) return;
    this.#generation++;
    this.filter = filter;
    this.items = [];
    this.index = 0;
    this.base = position !== undefined ? Math.max(0, position - 1) : 0;
    this.#next = at !== undefined ? at - 1 : 0;
    this.#fetching = null;
    this.loading = true;
    this.error = null;
    await this.#fill();
    this.loading = false;
    this.#preload();
  }

  /** Moves to the next image; never waits when the buffer holds it. */
  advance(): void {
    this.index++;
    if (this.index > 200) {
      // Drop what lies far behind so that a day of labeling does not grow memory.
      this.items = this.items.slice(100);
      this.index -= 100;
      this.base += 100;
    }
    this.#preload();
    if (this.items.length - this.index < LOW_WATER) void this.#fill();
  }

  /** Shows an image now (after undo/redo), keeping the rest of the queue behind it. */
  showHere(img: ImageSummary): void {
    const items = [...this.items];
    if (items[this.index]?.id === img.id) items[this.index] = img;
    else items.splice(this.index, 0, img);
    this.items = items;
  }

  /**
   * Someone else labeled these images: in an unlabeled queue, the ones still
   * ahead are no longer work to do, so two annotators do not label the same image twice.
   */
  dropAhead(ids: number[]): void {
    if (this.filter.state !== 'unlabeled') return;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup, never rendered
    const gone = new Set(ids);
    const ahead = this.items.slice(this.index + 1);
    const kept = ahead.filter((i) => !gone.has(i.id));
    if (kept.length === ahead.length) return;
    this.items = [...this.items.slice(0, this.index + 1), ...kept];
    this.#preload();
  }

  /** Replaces the current image's summary with the one the server returned. */
  update(img: ImageSummary): void {
    const i = this.items.findIndex((x) => x.id === img.id);
    if (i < 0) return;
    const items = [...this.items];
    items[i] = img;
    this.items = items;
  }

  #preload(): void {
    decodedImages.preload(this.items.slice(this.index, this.index + 1 + AHEAD).map((i) => i.id));
  }

  #fill(): Promise<void> {
    if (this.#fetching) return this.#fetching;
    if (this.#next === null) return Promise.resolve();
    const generation = this.#generation;
    const after = this.#next;
    this.#fetching = api
      .call('images.page', { ...this.filter, after, limit: PAGE })
      .then(
        (page) => {
          if (generation !== this.#generation) return;
          if (after === 0 || this.items.length === 0) this.total = page.total;
          // A page fetched before an undo may repeat an image shown again since; keep one of each ahead.
          // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup, never rendered
          const ahead = new Set(this.items.slice(this.index).map((i) => i.id));
          this.items = [...this.items, ...page.items.filter((i) => !ahead.has(i.id))];
          this.#next = page.next;
          this.error = null;
          this.#preload();
        },
        (e: Error) => {
          if (generation === this.#generation) this.error = e.message;
        },
      )
      .finally(() => {
        if (generation === this.#generation) this.#fetching = null;
      });
    return this.#fetching;
  }

  /** Fetches again after an error (e.g. the server came back). */
  retry(): Promise<void> {
    this.error = null;
    return this.#fill();
  }
}

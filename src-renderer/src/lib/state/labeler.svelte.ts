/**
 * One labeling session: the three choices for the current image, saving,
 * skip, unreadable, and undo/redo through the server's label history.
 *
 * Confirm shows the next image at once and hands the label to an outbox that
 * sends saves one at a time, in order. A save the server refuses or cannot
 * take brings its image back on screen with the annotator's choice, says so,
 * and is retried until it goes through: nothing is dropped silently.
 */
import { api } from '../api/client';
import type { AppError, ErrorCode } from '$contract/envelope';
import type { Component, ImageSummary, LabelState } from '$contract/domain';
import { annotator } from './annotator.svelte';
import { Queue } from './queue.svelte';
import { stats } from './stats.svelte';
import { COMPONENT_LABELS } from './taxonomy.svelte';

/** Errors a retry cannot fix: the input itself is wrong or the image is gone. */
const FINAL_CODES: ReadonlySet<ErrorCode> = new Set(['bad_input', 'not_found', 'unknown_call']);
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const RECENT = 8;

export const CONFIRM_MARK = 'gs:confirm';
export const SHOWN_MEASURE = 'gs:confirm-to-shown';
export const SAVED_MEASURE = 'gs:confirm-to-saved';

type Saved = Exclude<LabelState, 'unlabeled'>;

interface PendingSave {
  image: ImageSummary;
  state: Saved;
  root: number | null;
  vowel: number | null;
  consonant: number | null;
  measure: boolean;
}

export class Labeler {
  readonly queue = new Queue();
  root = $state<number | null>(null);
  vowel = $state<number | null>(null);
  consonant = $state<number | null>(null);
  /** Saves not yet acknowledged, oldest first. */
  outbox = $state.raw<PendingSave[]>([]);
  /** Shown while the oldest save is refused or cannot reach the server; its image is on screen. */
  saveError = $state<string | null>(null);
  retryInMs = $state(0);
  notice = $state<string | null>(null);
  /** The latest images this session labeled, newest first, to glance back at and reopen. */
  recent = $state.raw<ImageSummary[]>([]);
  #shownFor: number | null = null;
  #retryNow: (() => void) | null = null;
  #pumping = false;
  #confirmPending = false;
  #drained: (() => void)[] = [];

  get complete(): boolean {
    return this.root !== null && this.vowel !== null && this.consonant !== null;
  }

  get missing(): Component | null {
    if (this.root === null) return 'root';
    if (this.vowel === null) return 'vowel';
    if (this.consonant === null) return 'consonant';
    return null;
  }

  /** Loads the choices of the image now current, once per image. */
  sync(img: ImageSummary | undefined): void {
    if (!img || img.id === this.#shownFor) return;
    this.#shownFor = img.id;
    this.root = img.root;
    this.vowel = img.vowel;
    this.consonant = img.consonant;
  }

  /**
   * Another annotator (another window) changed images: drops them from the work ahead, and when one is
   * on screen shows their label (unless this annotator has changed the choices) and says so. Returns
   * the unsubscribe.
   */
  followOthers(): () => void {
    return api.on('labels.changed', ({ imageIds, annotator: who }) => {
      if (who === annotator.name) return;
      this.queue.dropAhead(imageIds);
      const img = this.queue.current;
      if (!img || !imageIds.includes(img.id)) return;
      void api.call('images.get', { id: img.id }).then((fresh) => {
        if (this.queue.current?.id !== fresh.id) return;
        const untouched = this.root === img.root && this.vowel === img.vowel && this.consonant === img.consonant;
        this.queue.update(fresh);
        if (untouched) this.reload(fresh);
        this.notice = untouched
          ? `${who} just labeled this image; their label is shown.`
          : `${who} just labeled this image too; saving replaces their label (both stay in the history).`;
      });
    });
  }

  /** Opens an earlier image again (from the recent list) to look at or correct it. */
  revisit(img: ImageSummary): void {
    if (this.queue.current?.id === img.id) return;
    this.#shownFor = null;
    this.queue.showHere(img);
  }

  /** Shows the choices of a fresh copy of the current image (another annotator saved it). */
  reload(img: ImageSummary): void {
    this.#shownFor = null;
    this.sync(img);
  }

  /** Saves the current image as labeled (or skipped/unreadable) and shows the next one. */
  commit(state: Saved): boolean {
    const img = this.queue.current;
    if (!img) return false;
    if (state === 'labeled' && !this.complete) {
      this.notice = `Choose the ${COMPONENT_LABELS[this.missing!].toLowerCase()} first.`;
      return false;
    }
    const entry: PendingSave = {
      image: img,
      state,
      root: this.root,
      vowel: this.vowel,
      consonant: this.consonant,
      measure: true,
    };
    const head = this.outbox[0];
    if (this.saveError !== null && head) {
      if (head.image.id === img.id) {
        // The image of a failing save is back on screen: this is its (maybe corrected) choice. Try it now.
        this.outbox = [entry, ...this.outbox.slice(1)];
        this.#retryNow?.();
        return true;
      }
      this.notice = 'Waiting for the earlier save to go through.';
      return false;
    }
    this.saveError = null;
    performance.clearMarks(CONFIRM_MARK);
    performance.mark(CONFIRM_MARK);
    this.#confirmPending = true;
    this.notice = null;
    this.outbox = [...this.outbox, entry];
    stats.moved(img.state, state);
    const mine = { ...img, state, root: entry.root, vowel: entry.vowel, consonant: entry.consonant };
    this.queue.update(mine);
    this.recent = [mine, ...this.recent.filter((r) => r.id !== img.id)].slice(0, RECENT);
    this.queue.advance();
    void this.#pump();
    return true;
  }

  /** Sends the outbox in order, one save at a time, until it is empty. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let attempt = 0; this.outbox.length > 0;) {
        const entry = this.outbox[0]!;
        try {
          const saved = await api.call('labels.set', {
            imageId: entry.image.id,
            state: entry.state,
            root: entry.root,
            vowel: entry.vowel,
            consonant: entry.consonant,
            annotator: annotator.name,
          });
          if (entry.measure) performance.measure(SAVED_MEASURE, CONFIRM_MARK);
          this.outbox = this.outbox.slice(1);
          this.queue.update(saved);
          attempt = 0;
          if (this.saveError !== null) this.#recovered(saved);
        } catch (e) {
          const err = e as AppError;
          entry.measure = false;
          this.#bringBack(entry);
          if (FINAL_CODES.has(err.code)) {
            // Retrying cannot help; the choice stays on screen for the annotator to fix.
            this.saveError = `Not saved: ${err.message}`;
            this.outbox = this.outbox.slice(1);
            stats.moved(entry.state, entry.image.state);
            continue;
          }
          this.saveError = `Not saved yet: ${err.message} Retrying…`;
          await this.#wait(BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)]!);
        }
      }
    } finally {
      this.#pumping = false;
      for (const done of this.#drained.splice(0)) done();
    }
  }

  /** Puts the image of a failed save back on screen with the choice that was made for it. */
  #bringBack(entry: PendingSave): void {
    const cur = this.queue.current;
    if (cur?.id === entry.image.id) return;
    this.#shownFor = null;
    this.queue.showHere({
      ...entry.image,
      root: entry.root,
      vowel: entry.vowel,
      consonant: entry.consonant,
    });
  }

  /** The failed save went through: move on from its image as if it had never failed. */
  #recovered(saved: ImageSummary): void {
    this.saveError = null;
    if (this.queue.current?.id === saved.id) this.queue.advance();
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.retryInMs = ms;
      const done = () => {
        clearTimeout(timer);
        this.#retryNow = null;
        this.retryInMs = 0;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#retryNow = done;
    });
  }

  /** Skips the wait before the next retry. */
  retryNow(): void {
    this.#retryNow?.();
  }

  /** Resolves once every save so far is acknowledged (or given up on). */
  #settled(): Promise<void> {
    if (!this.#pumping && this.outbox.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Called by the image viewer once the current image is on screen. */
  shown(): void {
    if (!this.#confirmPending) return;
    this.#confirmPending = false;
    performance.measure(SHOWN_MEASURE, CONFIRM_MARK);
  }

  undo(): Promise<void> {
    return this.#replay('labels.undo');
  }

  redo(): Promise<void> {
    return this.#replay('labels.redo');
  }

  async #replay(method: 'labels.undo' | 'labels.redo'): Promise<void> {
    const verb = method === 'labels.undo' ? 'undo' : 'redo';
    if (this.saveError !== null) {
      this.notice = `Cannot ${verb} until the save above goes through.`;
      return;
    }
    // Undo applies to what the server has: let the saves in flight land first.
    await this.#settled();
    try {
      const result = await api.call(method, { annotator: annotator.name });
      const first = result.imageIds[0];
      if (first === undefined) {
        this.notice = `Nothing to ${verb}.`;
        return;
      }
      const img = await api.call('images.get', { id: first });
      this.#shownFor = null;
      this.queue.showHere(img);
      const more = result.imageIds.length > 1 ? ` and ${result.imageIds.length - 1} more` : '';
      this.notice = `${verb === 'undo' ? 'Undone' : 'Redone'}: image ${img.imageId}${more}.`;
      void stats.refresh();
    } catch (e) {
      this.notice = `Could not ${verb}: ${(e as Error).message}`;
    }
  }
}

/**
 * One labeling session: the three choices for the current image, saving
 * (acknowledged before moving on, retried until the server takes it), skip,
 * unreadable, and undo/redo through the server's label history.
 */
import { api } from '../api/client';
import { AppError } from '../../../../src-main/contract/envelope';
import type { Component, ImageSummary, LabelState } from '../../../../src-main/contract/domain';
import { annotator } from './annotator.svelte';
import { Queue } from './queue.svelte';
import { stats } from './stats.svelte';
import { COMPONENT_LABELS } from './taxonomy.svelte';

/** Errors a retry cannot fix: the input itself is wrong or the image is gone. */
const FINAL_CODES = new Set(['invalid_input', 'not_found', 'bad_input', 'unknown_call']);
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

export const CONFIRM_MARK = 'gs:confirm';
export const SHOWN_MEASURE = 'gs:confirm-to-shown';

export class Labeler {
  readonly queue = new Queue();
  root = $state<number | null>(null);
  vowel = $state<number | null>(null);
  consonant = $state<number | null>(null);
  saving = $state(false);
  /** Shown while a save has not been acknowledged; the choices stay on screen meanwhile. */
  saveError = $state<string | null>(null);
  retryInMs = $state(0);
  notice = $state<string | null>(null);
  canUndo = $state(true);
  canRedo = $state(true);
  #shownFor: number | null = null;
  #retryNow: (() => void) | null = null;
  #confirmPending = false;

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

  /** Saves the current image as labeled (or skipped/unreadable) and moves on once the server acknowledged it. */
  async commit(state: Exclude<LabelState, 'unlabeled'>): Promise<boolean> {
    const img = this.queue.current;
    if (!img || this.saving) {
      if (this.saving) this.#retryNow?.();
      return false;
    }
    if (state === 'labeled' && !this.complete) {
      this.notice = `Choose the ${COMPONENT_LABELS[this.missing!].toLowerCase()} first.`;
      return false;
    }
    performance.clearMarks(CONFIRM_MARK);
    performance.mark(CONFIRM_MARK);
    this.#confirmPending = true;
    this.saving = true;
    this.notice = null;
    try {
      const saved = await this.#saveWithRetry(img.id, state);
      if (!saved) return false;
      stats.moved(img.state, saved.state);
      this.queue.update(saved);
      this.canUndo = true;
      this.canRedo = false;
      this.queue.advance();
      return true;
    } finally {
      this.saving = false;
    }
  }

  async #saveWithRetry(imageId: number, state: Exclude<LabelState, 'unlabeled'>): Promise<ImageSummary | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        // Read the choices at each attempt: the annotator may correct them while a retry waits.
        const saved = await api.call('labels.set', {
          imageId,
          state,
          root: this.root,
          vowel: this.vowel,
          consonant: this.consonant,
          annotator: annotator.name,
        });
        this.saveError = null;
        return saved;
      } catch (e) {
        const err = e as AppError;
        if (FINAL_CODES.has(err.code)) {
          this.saveError = `Not saved: ${err.message}`;
          this.#confirmPending = false;
          return null;
        }
        const wait = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!;
        this.saveError = `Not saved yet: ${err.message} Retrying…`;
        await this.#wait(wait);
      }
    }
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
    if (this.saving) return;
    const verb = method === 'labels.undo' ? 'undo' : 'redo';
    try {
      const result = await api.call(method, { annotator: annotator.name });
      this.canUndo = result.canUndo;
      this.canRedo = result.canRedo;
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

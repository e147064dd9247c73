/**
 * One import from the UI, in either mode: files chosen or dropped (uploaded in
 * browser mode, named by their paths in the desktop app) or paths on the machine
 * that runs Grapheme Studio. Progress of the upload, then of the import; cancel
 * at any point; the summary with every rejection.
 */
import { api, browserMode, droppedPaths } from '../api/client';
import { uploadFile, type Upload } from '../api/upload';
import type { ImportSummary } from '$contract/domain';
import type { ImportProgress } from '$contract/events';

/** A file and the path it had under the folder the user chose ("scan0020/r0c0.png"), or its name. */
export interface Picked {
  file: File;
  path: string;
}

/**
 * The desktop app reads files where they are: a chosen folder is imported as that
 * folder (not file by file), other files by their own paths. Null where paths are unknown.
 */
function desktopPaths(picked: Picked[]): string[] | null {
  const full = droppedPaths(picked.map((p) => p.file));
  if (!full || full.length !== picked.length) return null;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local collection, never rendered
  const out = new Set<string>();
  picked.forEach((p, i) => {
    const path = full[i]!;
    const slash = p.path.indexOf('/');
    out.add(slash < 0 ? path : path.slice(0, path.length - p.path.length + slash));
  });
  return [...out];
}

type Phase = 'idle' | 'uploading' | 'importing' | 'done' | 'failed';

class Importer {
  phase = $state<Phase>('idle');
  /** Bytes sent and to send, while uploading. */
  sent = $state(0);
  size = $state(0);
  files = $state(0);
  progress = $state.raw<ImportProgress | null>(null);
  summary = $state.raw<ImportSummary | null>(null);
  error = $state<string | null>(null);
  #jobId: string | null = null;
  #upload: Upload | null = null;
  #cancelled = false;

  constructor() {
    api.on('import.progress', (p) => {
      if (p.jobId === this.#jobId) this.progress = p;
    });
  }

  get busy(): boolean {
    return this.phase === 'uploading' || this.phase === 'importing';
  }

  #begin(): string {
    this.phase = 'uploading';
    this.sent = this.size = this.files = 0;
    this.progress = this.summary = null;
    this.error = null;
    this.#cancelled = false;
    return (this.#jobId = crypto.randomUUID());
  }

  /** Imports chosen or dropped files: by their paths in the desktop app, uploaded in browser mode. */
  async fromFiles(picked: Picked[]): Promise<void> {
    if (this.busy || picked.length === 0) return;
    const jobId = this.#begin();
    const paths = browserMode ? null : desktopPaths(picked);
    if (paths) return this.#run(() => api.call('import.paths', { paths, jobId }));
    const batch = crypto.randomUUID();
    this.size = picked.reduce((n, p) => n + p.file.size, 0);
    try {
      let before = 0;
      for (const p of picked) {
        if (this.#cancelled) throw new Error('Cancelled.');
        this.#upload = uploadFile(batch, p.path, p.file, (sent) => (this.sent = before + sent));
        await this.#upload.done;
        before += p.file.size;
        this.sent = before;
        this.files++;
      }
    } catch (e) {
      this.#upload = null;
      void api.call('import.discard', { batch }).catch(() => {});
      return this.#fail(e as Error);
    }
    this.#upload = null;
    await this.#run(() => api.call('import.upload', { batch, jobId }));
  }

  /** Imports files or folders already on the machine that runs Grapheme Studio. */
  async fromPaths(paths: string[]): Promise<void> {
    if (this.busy || paths.length === 0) return;
    const jobId = this.#begin();
    await this.#run(() => api.call('import.paths', { paths, jobId }));
  }

  async #run(work: () => Promise<ImportSummary>): Promise<void> {
    this.phase = 'importing';
    try {
      this.summary = await work();
      this.phase = 'done';
    } catch (e) {
      this.#fail(e as Error);
    } finally {
      this.#jobId = null;
    }
  }

  #fail(e: Error): void {
    this.phase = 'failed';
    this.error = this.#cancelled ? 'Cancelled: nothing more was imported.' : e.message;
  }

  /** Stops the upload (nothing is imported) or the import (what is stored stays, the rest is not read). */
  cancel(): void {
    this.#cancelled = true;
    this.#upload?.abort();
    if (this.phase === 'importing' && this.#jobId)
      void api.call('import.cancel', { jobId: this.#jobId }).catch(() => {});
  }

  reset(): void {
    if (!this.busy) this.phase = 'idle';
  }
}

export const importer = new Importer();

/** The newest import in progress anywhere (this window, another one, the CLI), until it is done. */
class ImportActivity {
  current = $state.raw<ImportProgress | null>(null);

  constructor() {
    api.on('import.progress', (p) => (this.current = p));
    api.on('import.done', (d) => {
      if (this.current?.jobId === d.jobId) this.current = null;
    });
  }
}

export const importActivity = new ImportActivity();

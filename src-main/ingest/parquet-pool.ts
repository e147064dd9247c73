import { closeSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { builtScript } from '../shared/app-files.js';
import type { Encoded } from './encode.js';
import { runTask, type DecodeTask, type EncodeTask, type Task } from './parquet-tasks.js';

interface Queued {
  task: Task;
  resolve: (r: { result: Encoded[] | null; ms: number }) => void;
  reject: (err: Error) => void;
}

type Reply = {
  id: number;
  ms?: number;
  error?: string;
  result?: (Omit<Encoded, 'png'> & { png: Uint8Array })[] | null;
};

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * Runs decode and encode tasks on one worker thread per core. Encoding comes
 * first: it finishes rows already decoded (and frees their slab) before the
 * next window is decoded, and the workers never idle while either kind waits.
 * Without a compiled worker script the tasks run in-process.
 */
export class TaskPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly running = new Map<number, Queued>();
  private readonly encodes: Queued[] = [];
  private readonly decodes: Queued[] = [];
  private nextId = 0;
  /** Milliseconds of worker time per row, by kind, for the job's estimates. */
  readonly cost = { decodeMs: 0, decodeRows: 0, encodeMs: 0, encodeRows: 0 };

  constructor(size = Math.max(1, availableParallelism())) {
    const script = builtScript('ingest/parquet-worker.js');
    if (!script) return;
    for (let i = 0; i < size; i++) {
      const w = new Worker(script);
      w.on('message', (msg: Reply) => this.settle(w, msg));
      w.on('error', (err) => this.failAll(err));
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  decode(task: Omit<DecodeTask, 'kind'>): Promise<void> {
    return this.submit({ kind: 'decode', ...task }, this.decodes).then(() => undefined);
  }

  encode(task: Omit<EncodeTask, 'kind'>): Promise<Encoded[]> {
    return this.submit({ kind: 'encode', ...task }, this.encodes).then((r) => r.result ?? []);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private submit(task: Task, queue: Queued[]): Promise<{ result: Encoded[] | null; ms: number }> {
    if (this.workers.length === 0) return Promise.resolve().then(() => this.runHere(task));
    return new Promise((resolve, reject) => {
      queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  private runHere(task: Task): { result: Encoded[] | null; ms: number } {
    const started = performance.now();
    const fd = task.kind === 'decode' ? openSync(task.file, 'r') : -1;
    try {
      const { result } = runTask(task, fd);
      const ms = performance.now() - started;
      this.account(task, ms);
      return { result, ms };
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }

  private dispatch(): void {
    while (this.idle.length) {
      const next = this.encodes.shift() ?? this.decodes.shift();
      if (!next) return;
      const w = this.idle.pop()!;
      const id = this.nextId++;
      this.running.set(id, next);
      w.postMessage({ id, ...next.task });
    }
  }

  private settle(w: Worker, msg: Reply): void {
    const q = this.running.get(msg.id);
    this.running.delete(msg.id);
    this.idle.push(w);
    this.dispatch();
    if (!q) return;
    if (msg.error !== undefined) return q.reject(new Error(msg.error));
    this.account(q.task, msg.ms ?? 0);
    const result = msg.result?.map((e) => ({ sha256: asBuffer(e.sha256), png: asBuffer(e.png) })) ?? null;
    q.resolve({ result, ms: msg.ms ?? 0 });
  }

  private account(task: Task, ms: number): void {
    if (task.kind === 'decode') {
      // A decode task covers some of the columns of its rows: count the rows in proportion.
      this.cost.decodeMs += ms;
      this.cost.decodeRows += ((task.rowEnd - task.rowStart) * task.chunks.length) / task.stride;
    } else {
      this.cost.encodeMs += ms;
      this.cost.encodeRows += task.to - task.from;
    }
  }

  private failAll(err: Error): void {
    for (const q of [...this.running.values(), ...this.encodes.splice(0), ...this.decodes.splice(0)]) q.reject(err);
    this.running.clear();
  }
}

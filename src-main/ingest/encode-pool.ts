import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { encodeImage, type Encoded } from './encode.js';
import { builtScript } from '../shared/app-files.js';

type Pending = { resolve: (e: Encoded) => void; reject: (err: Error) => void };

/**
 * Encodes images on worker threads so the importing thread only decodes
 * parquet and writes SQLite. Falls back to encoding in-process when no
 * compiled worker exists.
 */
export class EncodePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(size = Math.max(1, availableParallelism())) {
    const script = builtScript('ingest/encode-worker.js');
    if (!script) return;
    for (let i = 0; i < size; i++) {
      const w = new Worker(script);
      w.on('message', (msg: Encoded & { id: number; error?: string }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(msg.error));
        else p.resolve({ sha256: Buffer.from(msg.sha256), cache: Buffer.from(msg.cache), png: Buffer.from(msg.png!) });
      });
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  encode(gray: Uint8Array, width: number, height: number): Promise<Encoded> {
    if (this.workers.length === 0) return Promise.resolve(encodeImage(gray, width, height, { png: true }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Transferred, not copied: the caller hands over a buffer of its own (not a view into a slab).
      this.workers[id % this.workers.length]!.postMessage({ id, gray, width, height }, [gray.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

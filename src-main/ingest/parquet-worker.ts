/**
 * Worker thread of a parquet import: decodes pixel columns into the shared
 * slab, and encodes slab rows (hash, training cache, PNG), whichever the
 * importing thread asks next.
 */
import { closeSync, openSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { runTask, type Task } from './parquet-tasks.js';

parentPort!.on('message', (task: Task & { id: number }) => {
  const started = performance.now();
  try {
    const fd = task.kind === 'decode' ? openSync(task.file, 'r') : -1;
    try {
      const { result, transfer } = runTask(task, fd);
      parentPort!.postMessage({ id: task.id, ms: performance.now() - started, result }, transfer);
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  } catch (err) {
    parentPort!.postMessage({ id: task.id, error: (err as Error).message });
  }
});

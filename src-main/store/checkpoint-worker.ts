/**
 * Worker thread: folds the project's WAL back into the database every
 * interval through its own connection, so the thread that acknowledges label
 * saves never pays for a checkpoint. PASSIVE never blocks writers.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const { file, everyMs, nativeBinding } = workerData as { file: string; everyMs: number; nativeBinding?: string };
const db = new Database(file, { fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) });
db.pragma('busy_timeout = 100');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or closing: the next tick tries again; the writer's own autocheckpoint is the backstop.
  }
}, everyMs);
parentPort!.on('message', (m: string) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});

/**
 * The trainer runs below the app's own OS priority. A user who labels while a
 * run trains expects the labeling to stay as fast as before: the trainer is
 * batch work that can take whatever the app leaves idle, and tfjs-node keeps
 * both cores of a small machine busy. Measured on the shared 2-core machine
 * (20,000-image project, 4 annotators saving every 100 ms while a resnet18
 * 32 px run trains, old and new build one after the other, load average
 * 21-24): label acknowledgement p50/p99 676/2841 ms with the trainer at the
 * app's priority, 191/669 ms with it 10 levels down.
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How many nice levels below its parent the trainer runs (Windows: BELOW_NORMAL is 10). */
export const TRAINER_NICE_OFFSET = 10;
const LOWEST = 19;

/**
 * Lowers this process's priority. On Linux a nice value belongs to a thread
 * and new threads inherit their creator's, so every thread that already
 * exists is lowered too; call it before the engine loads (its thread pools
 * then start low). Returns the nice value set, or an error message: failing
 * to lower it must not stop a run.
 */
export function lowerOwnPriority(offset = TRAINER_NICE_OFFSET): number | string {
  try {
    const target = Math.min(LOWEST, getPriority(0) + offset);
    setPriority(0, target);
    if (process.platform === 'linux') {
      for (const tid of readdirSync('/proc/self/task')) {
        try {
          setPriority(Number(tid), target);
        } catch {
          // the thread ended since the listing
        }
      }
    }
    return target;
  } catch (err) {
    return `could not lower the trainer's priority: ${(err as Error).message}`;
  }
}

import { resolve } from 'node:path';
import { ensureStarterProject } from '../service/starter.js';
import { serveCommand } from './serve.js';

/** Browser-mode fallback of `npm start`: opens the given project, or the starter project. */
export async function startBrowserMode(args: string[]): Promise<void> {
  const portArg = args.indexOf('--port');
  const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--port');
  const db = file ? resolve(file) : await ensureStarterProject();
  process.exitCode = await serveCommand(db, portArg >= 0 ? { port: args[portArg + 1] } : {}, {
    stdout: process.stdout,
    stderr: process.stderr,
  });
}

/**
 * The real `grapheme-studio serve` process (built dist/), for tests that kill
 * it, read its memory, or must see it as a user's browser does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI } from '../helpers.js';

export interface ServeProcess {
  proc: ChildProcess;
  port: number;
  origin: string;
  token: string;
  /** Resident memory of the server process, in MiB (Linux /proc). */
  rssMiB(): number;
  stderr(): string;
  /** SIGKILL: no shutdown code runs, as in a power cut of the process. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** `wrapper` runs the server through another command (e.g. setpriv, to run it as another user). */
export function startServe(db: string, token: string, port = 0, wrapper: string[] = []): Promise<ServeProcess> {
  return new Promise((ok, fail) => {
    const argv = [process.execPath, CLI, 'serve', '--db', db, '--port', String(port)];
    const proc = spawn(wrapper[0] ?? argv[0]!, [...wrapper.slice(1), ...(wrapper.length ? argv : argv.slice(1))], {
      env: { ...process.env, GRAPHEME_STUDIO_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    // Generous: a start took 15-17 s at load average 20 on the shared 2 cores, and a restart in the
    // 50-kill run passed 60 s at 24-26 (with 8 clients retrying against the port).
    const timer = setTimeout(() => fail(new Error(`server did not start in 180 s: ${out} ${err}`)), 180_000);
    const exited = new Promise<void>((done) => proc.once('exit', () => done()));
    const end = (signal: NodeJS.Signals) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    };
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Open (http:\/\/[^/\s]+)\//.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const origin = m[1]!;
      ok({
        proc,
        port: Number(new URL(origin).port),
        origin,
        token,
        rssMiB: () => {
          const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
          return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
        },
        stderr: () => err,
        kill: () => end('SIGKILL'),
        stop: () => end('SIGTERM'),
      });
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code} before it listened: ${err}`));
    });
  });
}

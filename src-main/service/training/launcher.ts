/**
 * How the service starts a trainer process: child_process.fork under plain
 * Node (CLI, browser mode, tests), Electron's utilityProcess in the desktop
 * app. Both look the same to the Supervisor.
 */
import { fork } from 'node:child_process';
import type { FromWorker, ToWorker } from '../../train/protocol.js';

export interface TrainerProcess {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  send(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  /** `signal` is null where the platform reports only a code (utilityProcess). */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  onError(listener: (err: Error) => void): void;
}

export type TrainerLauncher = (modulePath: string, env: NodeJS.ProcessEnv) => TrainerProcess;

export const forkLauncher: TrainerLauncher = (modulePath, env) => {
  const child = fork(modulePath, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env });
  return {
    pid: child.pid,
    stdout: child.stdout,
    stderr: child.stderr,
    send: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (l) => child.on('message', (m) => l(m as FromWorker)),
    onExit: (l) => child.on('exit', (code, signal) => l(code, signal)),
    onError: (l) => child.on('error', l),
  };
};

/** The subset of Electron's utilityProcess this needs (Electron.UtilityProcess; this module does not import electron). */
export interface UtilityProcessApi {
  fork(
    modulePath: string,
    args?: string[],
    options?: { stdio?: 'pipe'; serviceName?: string; env?: NodeJS.ProcessEnv },
  ): {
    pid?: number;
    stdout: NodeJS.ReadableStream | null;
    stderr: NodeJS.ReadableStream | null;
    postMessage(message: unknown): void;
    on(event: 'message', listener: (message: unknown) => void): unknown;
    on(event: 'exit', listener: (code: number) => void): unknown;
  };
}

/** For the desktop app: `new Service(project, { trainerLauncher: utilityLauncher(electron.utilityProcess) })`. */
export function utilityLauncher(api: UtilityProcessApi): TrainerLauncher {
  return (modulePath, env) => {
    const child = api.fork(modulePath, [], { stdio: 'pipe', serviceName: 'Grapheme Studio trainer', env });
    let exited = false;
    child.on('exit', () => (exited = true));
    return {
      get pid() {
        return child.pid;
      },
      stdout: child.stdout,
      stderr: child.stderr,
      send: (m) => {
        if (!exited) child.postMessage(m);
      },
      onMessage: (l) => child.on('message', (m) => l(m as FromWorker)),
      onExit: (l) => child.on('exit', (code) => l(code, null)),
      onError: () => {},
    };
  };
}

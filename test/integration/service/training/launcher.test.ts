/**
 * The trainer under Electron's utilityProcess contract (postMessage /
 * process.parentPort), played by a forked Node process whose parentPort is
 * a thin shim over IPC: the worker's parentPort path and utilityLauncher run for real.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Service } from '../../../../src-main/service/service.js';
import { Project } from '../../../../src-main/store/project.js';
import { utilityLauncher, type UtilityProcessApi } from '../../../../src-main/service/training/launcher.js';
import { FORMS, tempDir } from '../../../helpers.js';

const shim = `process.parentPort = {
  on: (event, listener) => process.on(event, (data) => listener({ data })),
  postMessage: (message) => process.send(message),
};`;

const fakeUtilityProcess: UtilityProcessApi = {
  fork(modulePath, args, options) {
    const child = fork(modulePath, args ?? [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: options?.env,
      execArgv: ['--import', `data:text/javascript,${encodeURIComponent(shim)}`],
    });
    return {
      pid: child.pid,
      stdout: child.stdout,
      stderr: child.stderr,
      postMessage: (m: unknown) => child.send(m as never),
      on: (event: string, listener: (...args: never[]) => void) => child.on(event, listener as () => void),
    } as ReturnType<UtilityProcessApi['fork']>;
  },
};

let service: Service;
beforeAll(async () => {
  const db = join(tempDir('gs-utility-'), 'forms.sqlite');
  service = new Service(new Project(db), { trainerLauncher: utilityLauncher(fakeUtilityProcess) });
  await service.importFolder({ folder: FORMS, labels: join(FORMS, 'labels.csv') });
});
afterAll(() => service.close());

describe('trainer under a utilityProcess-style launcher', () => {
  it('trains to the end and answers predictions', async () => {
    const { runId } = await service.handlers['training.start']({
      arch: 'resnet18',
      size: 32,
      baseWidth: 8,
      epochs: 1,
      engine: 'wasm',
    });
    const run = await service.supervisor.wait(runId);
    expect(run.error).toBeNull();
    expect(run.status).toBe('done');
    expect(run.summary.epochsDone).toBe(1);
    const { predictions } = await service.handlers['runs.predict']({ runId, imageIds: [5], k: 1 });
    expect(predictions[0]!.root).toHaveLength(1);
  });
});

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Service } from '../service/service.js';
import { dataDir } from '../service/starter.js';
import { rendererDir } from '../shared/app-files.js';
import { Project } from '../store/project.js';
import { serve } from '../web/server.js';
import { newToken } from '../web/security.js';
import type { CliIO } from './args.js';

/** Browser mode's port unless --port says otherwise; the next ones when it is taken, then any free port. */
export const DEFAULT_PORT = 4790;
const DEFAULT_PORTS = [...Array.from({ length: 10 }, (_, i) => DEFAULT_PORT + i), 0];

/**
 * The token of this machine's browser mode, kept (readable by this user only) in the
 * data folder so that a bookmark and the browser's cookie still work after a restart.
 * A process of this user that can read it could read the project file as well.
 */
export function persistentToken(dir = dataDir()): string {
  const file = join(dir, 'browser-token');
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (/^[\w-]{32,}$/.test(kept)) return kept;
  const token = newToken();
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}

export async function serveCommand(db: string, values: Record<string, unknown>, io: CliIO): Promise<number> {
  const port = values.port === undefined ? DEFAULT_PORTS : Number(values.port);
  if (typeof port === 'number' && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    io.stderr.write(`grapheme-studio: --port must be an integer 0..65535\n`);
    return 2;
  }
  const service = new Service(new Project(db));
  const staticDir = rendererDir();
  const running = await serve(service, {
    port,
    ...(typeof values.host === 'string' ? { host: values.host } : {}),
    ...(staticDir ? { staticDir } : {}),
    token: process.env.GRAPHEME_STUDIO_TOKEN || persistentToken(),
  });
  if (!staticDir) io.stderr.write('The renderer is not built (npm run build); serving the API only.\n');
  if (Array.isArray(port) && running.port !== DEFAULT_PORT)
    io.stderr.write(`Port ${DEFAULT_PORT} is taken; using ${running.port}.\n`);
  io.stdout.write(`Grapheme Studio (browser mode) on ${db}\nOpen ${running.openUrl}\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      void running.close().then(() => {
        service.close();
        done();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Service } from '../service/service.js';
import { Project } from '../store/project.js';
import { serve } from '../web/server.js';
import type { CliIO } from './main.js';

/** dist/renderer next to dist/main, where `npm run build` puts it. */
export function rendererDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, '..', '..', 'renderer');
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}

export async function serveCommand(db: string, values: Record<string, unknown>, io: CliIO): Promise<number> {
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr.write(`grapheme-studio: --port must be an integer 0..65535\n`);
    return 2;
  }
  const service = new Service(new Project(db));
  const staticDir = rendererDir();
  const running = await serve(service, {
    port,
    ...(typeof values.host === 'string' ? { host: values.host } : {}),
    ...(staticDir ? { staticDir } : {}),
    ...(process.env.GRAPHEME_STUDIO_TOKEN ? { token: process.env.GRAPHEME_STUDIO_TOKEN } : {}),
  });
  if (!staticDir) io.stderr.write('The renderer is not built (npm run build); serving the API only.\n');
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

import { Service } from '../service/service.js';
import { rendererDir } from '../shared/app-files.js';
import { Project } from '../store/project.js';
import { serve } from '../web/server.js';
import type { CliIO } from './args.js';

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

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { HTTP } from '../contract/channels.js';
import { createDispatcher } from '../contract/dispatcher.js';
import { fail, type Envelope, type ErrorCode } from '../contract/envelope.js';
import type { Service } from '../service/service.js';
import { logInternalError } from '../service/log.js';
import { CSP, contentType } from '../shared/renderer-files.js';
import { allowedHosts, checkHostAndOrigin, newToken, presentedToken, tokenMatches } from './security.js';

export interface ServeOptions {
  host?: string;
  port?: number;
  token?: string;
  /** Built renderer (index.html and assets); the API works without it. */
  staticDir?: string;
  /** Extra Host names to answer to (e.g. the machine's name when bound beyond loopback). */
  extraHosts?: string[];
}

export interface RunningServer {
  url: string;
  /** The URL to open: it carries the token once, the server then keeps it in a cookie. */
  openUrl: string;
  token: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;
const STATUS: Record<ErrorCode, number> = {
  unknown_call: 404,
  not_found: 404,
  conflict: 409,
  bad_input: 400,
  cancelled: 409,
  unavailable: 503,
  internal: 500,
};

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  extra: Record<string, string> = {},
) {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...extra,
  });
  res.end(body);
}

function sendEnvelope(res: ServerResponse, envelope: Envelope<unknown>) {
  const status = envelope.ok ? 200 : STATUS[envelope.error.code];
  send(res, status, JSON.stringify(envelope), 'application/json; charset=utf-8');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error(`request body over ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Browser mode: the contract over HTTP (POST /api/<method>), events over
 * server-sent events, and the built renderer, on 127.0.0.1 with a token.
 */
export async function serve(service: Service, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const dispatch = createDispatcher(service.handlers, logInternalError);
  service.project.startBackgroundCheckpoints();
  const staticDir = options.staticDir ? resolve(options.staticDir) : undefined;
  let hosts = new Set<string>();
  const streams = new Set<ServerResponse>();

  const unsubscribe = service.subscribe((event, payload) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const s of streams) s.write(frame);
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const verdict = checkHostAndOrigin(req, hosts);
    if (!verdict.ok) {
      return send(
        res,
        verdict.status,
        JSON.stringify(fail('bad_input', verdict.message)),
        'application/json; charset=utf-8',
      );
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const needsToken = path.startsWith(HTTP.apiPrefix) || path === HTTP.events || path.startsWith(HTTP.imagePrefix);
    const authorized = tokenMatches(presentedToken(req, url), token);

    if (needsToken && !authorized) {
      return send(
        res,
        401,
        JSON.stringify(fail('bad_input', 'Missing or wrong token. Open the URL printed at startup.')),
        'application/json; charset=utf-8',
      );
    }
    if (path.startsWith(HTTP.apiPrefix)) return handleCall(req, res, path.slice(HTTP.apiPrefix.length));
    if (path === HTTP.events) return handleEvents(req, res);
    if (path.startsWith(HTTP.imagePrefix)) return handleImage(res, path.slice(HTTP.imagePrefix.length));
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed', 'text/plain');
    return handleStatic(res, path, authorized && url.searchParams.has(HTTP.tokenQuery));
  }

  async function handleCall(req: IncomingMessage, res: ServerResponse, method: string) {
    if (req.method !== 'POST')
      return send(res, 405, JSON.stringify(fail('bad_input', 'Use POST.')), 'application/json');
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/json')) {
      return sendEnvelope(res, fail('bad_input', 'Content-Type must be application/json.'));
    }
    let input: unknown;
    try {
      const body = await readBody(req);
      input = body.trim() === '' ? {} : JSON.parse(body);
    } catch (err) {
      return sendEnvelope(res, fail('bad_input', `Request body is not valid JSON: ${(err as Error).message}`));
    }
    sendEnvelope(res, await dispatch(decodeURIComponent(method), input));
  }

  function handleEvents(req: IncomingMessage, res: ServerResponse) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': connected\n\n');
    streams.add(res);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(ping);
      streams.delete(res);
    });
  }

  function handleImage(res: ServerResponse, idText: string) {
    const id = Number(idText);
    const found = Number.isInteger(id) && id > 0 ? service.project.images.bytes(id) : undefined;
    if (!found) return sendEnvelope(res, fail('not_found', `Image ${idText} does not exist.`));
    send(res, 200, found.bytes, found.format === 'png' ? 'image/png' : 'image/jpeg', {
      'cache-control': 'private, max-age=3600',
    });
  }

  async function handleStatic(res: ServerResponse, path: string, setCookie: boolean) {
    if (!staticDir) return send(res, 404, 'The renderer is not built. Run npm run build.', 'text/plain');
    const rel = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '');
    let file = join(staticDir, rel);
    if (file !== staticDir && !file.startsWith(staticDir + sep)) return send(res, 403, 'Forbidden', 'text/plain');
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) file = join(staticDir, 'index.html');
    const body = await readFile(file).catch(() => null);
    if (!body) return send(res, 404, 'Not found', 'text/plain');
    const headers: Record<string, string> = { 'content-security-policy': CSP, 'x-frame-options': 'DENY' };
    if (setCookie) headers['set-cookie'] = `${HTTP.tokenCookie}=${token}; Path=/; HttpOnly; SameSite=Strict`;
    send(res, 200, body, contentType(file), headers);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      logInternalError(`${req.method} ${req.url}`, err);
      if (!res.headersSent) sendEnvelope(res, fail('internal', 'The request failed unexpectedly.'));
      else res.end();
    });
  });
  server.requestTimeout = 60_000;
  await new Promise<void>((ok, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(port, [host, ...(options.extraHosts ?? [])]);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/`;
  return {
    url,
    openUrl: `${url}?${HTTP.tokenQuery}=${token}#/label`,
    token,
    port,
    server,
    close: () =>
      new Promise<void>((ok) => {
        unsubscribe();
        for (const s of streams) s.end();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

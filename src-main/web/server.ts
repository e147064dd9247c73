import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { HTTP } from '../contract/channels.js';
import { createDispatcher } from '../contract/dispatcher.js';
import { AppError, fail, type Envelope, type ErrorCode } from '../contract/envelope.js';
import type { Download, Service } from '../service/service.js';
import { downloadRequest } from './downloads.js';
import { DEFAULT_UPLOAD_LIMITS, Uploads, type UploadLimits } from './upload.js';
import { logInternalError } from '../service/log.js';
import { CSP, contentType } from '../shared/renderer-files.js';
import { allowedHosts, checkHostAndOrigin, newToken, presentedToken, tokenMatches } from './security.js';

export interface ServeOptions {
  host?: string;
  /** A port, or ports to try in order (the first free one is used; 0 lets the system choose). */
  port?: number | number[];
  token?: string;
  /** Built renderer (index.html and assets); the API works without it. */
  staticDir?: string;
  /** Size caps of browser uploads (per file, per import). */
  uploadLimits?: UploadLimits;
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
const HEADERS_TIMEOUT_MS = 20_000;
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

class BodyTooLarge extends Error {}

/**
 * An oversized body is read to its end and dropped, then refused: an answer
 * sent mid-upload would reach a client that is still writing as a reset
 * connection, not as the answer.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    let tooLarge = Number(req.headers['content-length'] ?? 0) > MAX_BODY;
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > MAX_BODY) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge()) : resolveBody(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** decodeURIComponent, or null for a malformed escape (a client's mistake, not the server's). */
function decodePath(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** Refuses a request after reading (and dropping) whatever body it still sends, for the reason above. */
async function refuse(req: IncomingMessage, res: ServerResponse, status: number, envelope: Envelope<unknown>) {
  if (!req.complete) {
    req.resume();
    await new Promise<void>((done) => {
      req.once('end', done);
      req.once('close', done);
    });
  }
  send(res, status, JSON.stringify(envelope), 'application/json; charset=utf-8');
}

/** Listens on the first port of the list that is free; the last one's error when none is. */
async function listenOnFirstFree(server: Server, host: string, ports: number[]): Promise<number> {
  for (const [i, port] of ports.entries()) {
    try {
      await new Promise<void>((ok, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          ok();
        });
      });
      return (server.address() as AddressInfo).port;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || i === ports.length - 1) throw err;
    }
  }
  throw new Error('no port to listen on');
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
  service.uploads.sweep();
  const uploads = new Uploads(service.uploads, options.uploadLimits ?? DEFAULT_UPLOAD_LIMITS);
  const staticDir = options.staticDir ? resolve(options.staticDir) : undefined;
  let hosts = new Set<string>();
  let cookieName: string = HTTP.tokenCookie;
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
    const needsToken =
      path.startsWith(HTTP.apiPrefix) ||
      path === HTTP.events ||
      path.startsWith(HTTP.imagePrefix) ||
      path.startsWith(HTTP.downloadPrefix) ||
      path.startsWith(HTTP.uploadPrefix);
    const authorized = tokenMatches(presentedToken(req, url, cookieName), token);

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
    if (path.startsWith(HTTP.downloadPrefix)) return handleDownload(res, url);
    if (path.startsWith(HTTP.uploadPrefix)) {
      if (req.method !== 'POST') return sendEnvelope(res, fail('bad_input', 'Use POST.'));
      const batch = decodePath(path.slice(HTTP.uploadPrefix.length));
      if (batch === null)
        return refuse(req, res, 400, fail('bad_input', 'The upload batch is not valid URL encoding.'));
      return sendEnvelope(res, await uploads.receive(req, batch, url.searchParams.get('path')));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed', 'text/plain');
    return handleStatic(res, path, authorized && url.searchParams.has(HTTP.tokenQuery));
  }

  async function handleCall(req: IncomingMessage, res: ServerResponse, method: string) {
    if (req.method !== 'POST')
      return send(res, 405, JSON.stringify(fail('bad_input', 'Use POST.')), 'application/json');
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/json')) {
      return refuse(req, res, 415, fail('bad_input', 'Content-Type must be application/json.'));
    }
    const name = decodePath(method);
    if (name === null) return refuse(req, res, 400, fail('unknown_call', 'The call name is not valid URL encoding.'));
    let input: unknown;
    req.setTimeout(60_000, () => req.destroy(new Error('no data for 60 s')));
    try {
      const body = await readBody(req);
      input = body.trim() === '' ? {} : JSON.parse(body);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        return refuse(req, res, 413, fail('bad_input', `Request body over ${MAX_BODY} bytes.`));
      }
      return sendEnvelope(res, fail('bad_input', `Request body is not valid JSON: ${(err as Error).message}`));
    }
    const reply = await dispatch(name, input);
    // The body may be anything (a refused input included): only a batch name the contract accepted is forgotten.
    const batch = (input as { batch?: unknown } | null)?.batch;
    if ((name === 'import.upload' || name === 'import.discard') && typeof batch === 'string') uploads.forget(batch);
    sendEnvelope(res, reply);
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
    // Decimal digits only: Number() would also read "0x1", "1e3" and " 1" as ids.
    const id = /^[1-9]\d{0,15}$/.test(idText) ? Number(idText) : NaN;
    const found = Number.isSafeInteger(id) ? service.project.images.bytes(id) : undefined;
    if (!found) return sendEnvelope(res, fail('not_found', `Image ${idText} does not exist.`));
    send(res, 200, found.bytes, found.format === 'png' ? 'image/png' : 'image/jpeg', {
      'cache-control': 'private, max-age=3600',
    });
  }

  function handleDownload(res: ServerResponse, url: URL) {
    const what = downloadRequest(url);
    if (!what.ok) return sendEnvelope(res, what.error);
    let file: Download;
    try {
      file = service.download(what.value);
    } catch (err) {
      if (err instanceof AppError) return sendEnvelope(res, fail(err.code, err.message));
      throw err;
    }
    send(res, 200, file.bytes, file.type, { 'content-disposition': `attachment; filename="${file.name}"` });
  }

  async function handleStatic(res: ServerResponse, path: string, setCookie: boolean) {
    if (!staticDir) return send(res, 404, 'The renderer is not built. Run npm run build.', 'text/plain');
    const decoded = decodePath(path);
    if (decoded === null || decoded.includes('\0')) return send(res, 400, 'Bad request', 'text/plain');
    const rel = normalize(decoded).replace(/^([/\\])+/, '');
    let file = join(staticDir, rel);
    if (file !== staticDir && !file.startsWith(staticDir + sep)) return send(res, 403, 'Forbidden', 'text/plain');
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) file = join(staticDir, 'index.html');
    const body = await readFile(file).catch(() => null);
    if (!body) return send(res, 404, 'Not found', 'text/plain');
    const headers: Record<string, string> = { 'content-security-policy': CSP, 'x-frame-options': 'DENY' };
    if (setCookie) headers['set-cookie'] = `${cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict`;
    send(res, 200, body, contentType(file), headers);
  }

  const server = createServer(
    // A client that sends half a header and stops is dropped after HEADERS_TIMEOUT_MS, checked every second.
    // Uploads may take long; each guards itself against going quiet (web/upload.ts), other bodies are small
    // and handleCall gives them 60 s of silence at most.
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: 6 * 3600_000, connectionsCheckingInterval: 1_000 },
    (req, res) => {
      handle(req, res).catch((err) => {
        logInternalError(`${req.method} ${req.url}`, err);
        if (!res.headersSent) sendEnvelope(res, fail('internal', 'The request failed unexpectedly.'));
        else res.end();
      });
    },
  );
  const port = await listenOnFirstFree(server, host, [options.port ?? 0].flat());
  // Cookies are per host, not per port: a name per port keeps two launches (or two projects) apart.
  cookieName = `${HTTP.tokenCookie}_${port}`;
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

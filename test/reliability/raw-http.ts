/**
 * HTTP written byte by byte on a socket: a hostile client is not bound by
 * what node:http lets one send (foreign Host, no Host, broken encodings,
 * bodies trickled a byte at a time).
 */
import { connect } from 'node:net';

export type RawReply =
  | { kind: 'reply'; status: number; headers: Record<string, string>; body: string; ms: number }
  | { kind: 'reset'; ms: number }
  /** `sent` of `of` request bytes had gone out when the time ran out (a trickle may still be sending). */
  | { kind: 'hang'; ms: number; sent: number; of: number };

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string | undefined>;
  body?: string | Buffer;
  /** Omit the Host header entirely. */
  noHost?: boolean;
  /** Send the request in pieces of this many bytes, one every `trickleMs`. */
  trickle?: { bytes: number; everyMs: number };
}

export function requestBytes(port: number, r: RawRequest): Buffer {
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body);
  const headers: Record<string, string | undefined> = {
    ...(r.noHost ? {} : { host: `127.0.0.1:${port}` }),
    connection: 'close',
    'content-length': r.method === 'GET' ? undefined : String(body.length),
    ...r.headers,
  };
  const lines = [`${r.method ?? 'POST'} ${r.path} HTTP/1.1`];
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) lines.push(`${k}: ${v}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

function parse(raw: Buffer, ms: number): RawReply {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (!m || end < 0) return { kind: 'reset', ms };
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, end).split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { kind: 'reply', status: Number(m[1]), headers, body: body.toString('utf8'), ms };
}

function dechunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let o = 0; o < b.length;) {
    const eol = b.indexOf('\r\n', o);
    const size = parseInt(b.toString('latin1', o, eol), 16);
    if (!size) break;
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    o = eol + 4 + size;
  }
  return Buffer.concat(parts);
}

/** Sends one request and waits for the whole reply, the connection's end, or `timeoutMs`. */
export function raw(port: number, r: RawRequest, timeoutMs = 15_000): Promise<RawReply> {
  const t0 = performance.now();
  const bytes = requestBytes(port, r);
  return new Promise((settle) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    let done = false;
    let trickler: NodeJS.Timeout | undefined;
    const finish = (reply: RawReply) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(trickler);
      socket.destroy();
      settle(reply);
    };
    let at = r.trickle ? 0 : bytes.length;
    const timer = setTimeout(
      () => finish({ kind: 'hang', ms: performance.now() - t0, sent: Math.min(at, bytes.length), of: bytes.length }),
      timeoutMs,
    );
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => finish(parse(Buffer.concat(chunks), performance.now() - t0)));
    socket.on('end', () => finish(parse(Buffer.concat(chunks), performance.now() - t0)));
    socket.on('connect', () => {
      if (!r.trickle) return void socket.write(bytes);
      const { bytes: step, everyMs } = r.trickle;
      trickler = setInterval(() => {
        if (socket.destroyed) return clearInterval(trickler);
        socket.write(bytes.subarray(at, at + step));
        at += step;
        if (at >= bytes.length) clearInterval(trickler);
      }, everyMs);
    });
  });
}

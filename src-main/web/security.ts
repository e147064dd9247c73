import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HTTP } from '../contract/channels.js';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** The Host header values this server answers to: loopback names (and extras) on its port. */
export function allowedHosts(port: number, extra: string[] = []): Set<string> {
  const names = [...LOOPBACK_NAMES, ...extra.filter((h) => h && h !== '0.0.0.0' && h !== '::')];
  return new Set(names.map((h) => `${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${port}`.toLowerCase()));
}

export type Verdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

/** DNS-rebinding and cross-site checks: the Host must be ours, and so must the Origin when sent. */
export function checkHostAndOrigin(req: IncomingMessage, hosts: Set<string>): Verdict {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.has(host)) return { ok: false, status: 403, message: `Host "${host}" is not allowed.` };
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost = '';
    try {
      const u = new URL(origin);
      originHost = u.protocol === 'http:' ? u.host.toLowerCase() : '';
    } catch {
      // unparsable origin: refused below
    }
    if (!hosts.has(originHost)) return { ok: false, status: 403, message: `Origin "${origin}" is not allowed.` };
  }
  return { ok: true };
}

function cookieToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === HTTP.tokenCookie) return v.join('=');
  }
  return undefined;
}

export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers[HTTP.tokenHeader];
  if (typeof header === 'string') return header;
  return cookieToken(req) ?? url.searchParams.get(HTTP.tokenQuery) ?? undefined;
}

export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

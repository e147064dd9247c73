/**
 * Hostile requests to browser mode, generated from a seed: every call of the
 * contract with bodies of the wrong shape, broken JSON, oversized bodies,
 * wrong content types and verbs, traversal and encoding tricks in image and
 * static URLs, missing or wrong tokens, foreign Host and Origin headers.
 * Each case says what an acceptable answer is.
 */
import { callSchemas } from '../../src-main/contract/calls.js';
import type { RawRequest } from './raw-http.js';
import type { Rng } from './mutate.js';

export type Expect = 'envelope' | 'refusal' | 'static' | 'no image';

export interface HostileCase {
  category: string;
  request: RawRequest;
  /** envelope: a typed envelope (ok or a non-internal error); refusal: a 4xx; static: a file of the renderer or a 4xx. */
  expect: Expect;
  /** Exact statuses that are acceptable, when the case calls for one. */
  statuses?: number[];
}

const METHODS = Object.keys(callSchemas);

/** Values that are wrong for almost every field, and some that are right; no path that leads anywhere real. */
function value(rng: Rng, dir: string, depth = 0): unknown {
  const kind = rng.int(depth > 2 ? 9 : 12);
  switch (kind) {
    case 0:
      return rng.pick([-1, 0, 1, 2, 1.5, 1e308, -0, 2 ** 53, 168, 4096]);
    case 1:
      return rng.pick(['', 'x', '\u0000', 'ক', 'a'.repeat(5000), `${dir}/missing`, '%2e%2e%2f', '<script>', 'labeled']);
    case 2:
      return rng.pick([true, false, null]);
    case 3:
      return [];
    case 4:
      return rng.pick([[1, 2, 3], ['a'], [null], [1, 'a', {}]]);
    case 5:
      return Array.from({ length: rng.pick([1001, 10_001, 50_000]) }, (_, i) => i + 1);
    case 6:
      return { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } };
    case 7:
      return rng.pick(['root', 'vowel', 'consonant', 'val', 'train', 'all', 'tfjs', 'onnx']);
    case 8:
      return rng.int(3) + 1;
    default:
      return Object.fromEntries(Array.from({ length: rng.int(4) }, (_, i) => [`k${i}`, value(rng, dir, depth + 1)]));
  }
}

function shapeKeys(method: string): string[] {
  const schema = callSchemas[method as keyof typeof callSchemas] as { shape?: Record<string, unknown> };
  return Object.keys(schema.shape ?? {});
}

/** A body for a call: its own keys with random values, plus or minus a key; or not an object at all. */
function body(rng: Rng, method: string, dir: string): unknown {
  if (rng.chance(0.15)) return rng.pick([null, [], 'text', 42, true, [{}]]);
  const keys = shapeKeys(method);
  const out: Record<string, unknown> = {};
  for (const k of keys) if (rng.chance(0.7)) out[k] = value(rng, dir);
  if (rng.chance(0.2)) out[rng.pick(['extra', '__proto__', 'constructor', 'imageId'])] = value(rng, dir);
  // Paths get only places inside the test's folder: a valid export must not write elsewhere.
  for (const k of ['folder', 'labels', 'csv', 'out', 'dir'])
    if (k in out) out[k] = rng.pick([`${dir}/missing/x`, `${dir}/out-${rng.int(1e6)}`, '', 7]);
  for (const k of ['files', 'paths']) if (k in out) out[k] = rng.pick([[`${dir}/missing.parquet`], [], 'x', [3]]);
  // A training run with a valid config would start a trainer; keep one field wrong.
  if (method === 'training.start') out.arch = rng.pick([7, null, ['resnet34']]);
  return out;
}

function deep(n: number): string {
  return '['.repeat(n) + ']'.repeat(n);
}

const BROKEN_JSON = [
  '{',
  '{"a":',
  '{"a":1,}',
  'nul',
  "{'a':1}",
  '\u00ef\u00bb\u00bf{}',
  '{"a":"\\ud800"}',
  '\u0000',
  '[]]',
  '1e99999',
];

export function contractCase(rng: Rng, token: string, dir: string): HostileCase {
  const method = rng.pick(METHODS);
  const text = rng.chance(0.1)
    ? rng.pick([...BROKEN_JSON, deep(rng.pick([100, 5000, 100_000]))])
    : JSON.stringify(body(rng, method, dir));
  return {
    category: 'contract',
    expect: 'envelope',
    request: {
      path: `/api/${method}`,
      headers: { 'content-type': 'application/json', 'x-grapheme-token': token },
      body: text,
    },
  };
}

export function transportCase(rng: Rng, token: string): HostileCase {
  const auth = { 'x-grapheme-token': token };
  const json = { 'content-type': 'application/json', ...auth };
  const kind = rng.int(6);
  if (kind === 0) {
    const size = rng.pick([(1 << 20) + 1, 3 << 20, 8 << 20]);
    return {
      category: 'oversized body',
      expect: 'refusal',
      statuses: [413],
      request: { path: '/api/stats.get', headers: json, body: Buffer.alloc(size, 0x20) },
    };
  }
  if (kind === 1) {
    const type = rng.pick([
      undefined,
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      'json',
      '',
    ]);
    return {
      category: 'content type',
      expect: 'refusal',
      statuses: [415],
      request: { path: '/api/stats.get', headers: { ...auth, 'content-type': type }, body: '{}' },
    };
  }
  if (kind === 2) {
    const method = rng.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
    return {
      category: 'verb',
      expect: 'refusal',
      statuses: [405],
      request: { method, path: `/api/${rng.pick(METHODS)}`, headers: auth, body: method === 'GET' ? undefined : '{}' },
    };
  }
  if (kind === 3) {
    const bad = rng.pick([undefined, '', 'x', token.slice(1), token + 'x', token.toUpperCase(), 'a'.repeat(10_000)]);
    const path = rng.pick([
      '/api/stats.get',
      '/events',
      '/image/1',
      `/api/stats.get?token=${encodeURIComponent(bad ?? '')}`,
    ]);
    const headers = {
      'content-type': 'application/json',
      'x-grapheme-token': bad,
      cookie: rng.chance(0.3) ? `gs_token=${bad}x` : undefined,
    };
    // 431: a 10,000-character token overflows Node's header limit, which refuses it first.
    return {
      category: 'token',
      expect: 'refusal',
      statuses: [401, 431],
      request: {
        method: path.startsWith('/api') ? 'POST' : 'GET',
        path,
        headers,
        body: path.startsWith('/api') ? '{}' : undefined,
      },
    };
  }
  if (kind === 4) {
    const host = rng.pick([
      'evil.example',
      'evil.example:80',
      '127.0.0.1',
      '127.0.0.1:1',
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      '',
    ]);
    return {
      category: 'host',
      expect: 'refusal',
      request: { path: '/api/stats.get', headers: { ...json, host }, body: '{}' },
    };
  }
  const origin = rng.pick([
    'http://evil.example',
    'null',
    'https://127.0.0.1',
    'file://',
    'http://127.0.0.1.evil.example',
    'http://user@evil.example',
    '%%%',
  ]);
  return {
    category: 'origin',
    expect: 'refusal',
    statuses: [403],
    request: { path: '/api/stats.get', headers: { ...json, origin }, body: '{}' },
  };
}

const TRICKS = [
  '../../../../../../etc/passwd',
  '..%2f..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '%252e%252e%252fetc%252fpasswd',
  '..%5c..%5c..%5cpackage.json',
  '%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
  '%00',
  '%zz',
  '%',
  '..%00/package.json',
  '....//....//package.json',
  '/%2e%2e/%2e%2e/package.json',
  '%2F%2F%2Fetc%2Fpasswd',
  'assets/..%2f..%2f..%2fpackage.json',
  '\u00e9',
  'a'.repeat(5000),
];

export function urlCase(rng: Rng, token: string): HostileCase {
  const trick = rng.pick(TRICKS);
  if (rng.chance(0.5)) {
    const id = rng.pick([trick, '-1', '0', '1.5', '1e3', '0x1', '9007199254740993', '1%20', ' 1', '']);
    return {
      category: 'image url',
      expect: 'no image',
      request: { method: 'GET', path: `/image/${id}`, headers: { 'x-grapheme-token': token } },
    };
  }
  const api = rng.chance(0.3);
  return api
    ? {
        category: 'api url',
        expect: 'envelope',
        request: {
          path: `/api/${trick}`,
          headers: { 'content-type': 'application/json', 'x-grapheme-token': token },
          body: '{}',
        },
      }
    : { category: 'static url', expect: 'static', request: { method: 'GET', path: `/${trick}` } };
}

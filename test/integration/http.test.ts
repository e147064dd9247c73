import { request } from 'node:http';
import { join } from 'node:path';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { competitionImages, trainCsv, writeCompetitionParquet } from '../fixtures/parquet.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Service } from '../../src-main/service/service.js';
import { Project } from '../../src-main/store/project.js';
import { serve, type RunningServer } from '../../src-main/web/server.js';
import { FORMS, tempDir } from '../helpers.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

let running: RunningServer | undefined;
let service: Service | undefined;
afterEach(async () => {
  await running?.close();
  service?.close();
  running = undefined;
  service = undefined;
});

async function start() {
  const dir = tempDir();
  const staticDir = join(dir, 'renderer');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Grapheme Studio</title>');
  service = new Service(new Project(join(dir, 'p.sqlite')));
  running = await serve(service, { staticDir });
  return { port: running.port, token: running.token, dir };
}

const json = (token: string | undefined, body: unknown, extra: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { 'x-grapheme-token': token } : {}), ...extra },
  body: JSON.stringify(body),
});

describe('browser mode security', () => {
  it('binds to 127.0.0.1 with a fresh random token each launch', async () => {
    const { token } = await start();
    expect(running!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(token.length).toBeGreaterThanOrEqual(32);
    const second = await serve(service!, {});
    expect(second.token).not.toBe(token);
    await second.close();
  });

  it('refuses a missing or wrong token with 401', async () => {
    const { port, token } = await start();
    expect((await http(port, '/api/stats.get', json(undefined, {}))).status).toBe(401);
    expect((await http(port, '/api/stats.get', json(token.slice(1) + 'x', {}))).status).toBe(401);
    expect((await http(port, '/events')).status).toBe(401);
    expect((await http(port, '/image/1')).status).toBe(401);
    const ok = await http(port, '/api/stats.get', json(token, {}));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, value: { images: 0 } });
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin with 403', async () => {
    const { port, token } = await start();
    expect((await http(port, '/api/stats.get', json(token, {}, { host: 'evil.example:' + port }))).status).toBe(403);
    expect((await http(port, '/', { headers: { host: 'evil.example' } })).status).toBe(403);
    expect((await http(port, '/api/stats.get', json(token, {}, { origin: 'http://evil.example' }))).status).toBe(403);
    expect((await http(port, '/api/stats.get', json(token, {}, { origin: 'null' }))).status).toBe(403);
    expect((await http(port, '/api/stats.get', json(token, {}, { origin: `http://127.0.0.1:${port}` }))).status).toBe(
      200,
    );
    expect((await http(port, '/api/stats.get', json(token, {}, { host: `localhost:${port}` }))).status).toBe(200);
  });

  it('sets the token cookie from the opening URL and serves the renderer with a strict CSP', async () => {
    const { port, token } = await start();
    const page = await http(port, `/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(String(page.headers['set-cookie'])).toContain('HttpOnly; SameSite=Strict');
    const cookie = String(page.headers['set-cookie']).split(';')[0]!;
    const withCookie = await http(port, '/api/stats.get', {
      ...json(undefined, {}),
      headers: { 'content-type': 'application/json', cookie },
    });
    expect(withCookie.status).toBe(200);
    expect((await http(port, '/?token=wrong')).headers['set-cookie']).toBeUndefined();
    expect((await http(port, '/../../etc/passwd')).body).toContain('Grapheme Studio');
  });
});

describe('browser mode API', () => {
  it('answers unknown calls, bad JSON and invalid input with typed errors', async () => {
    const { port, token } = await start();
    const unknown = await http(port, '/api/labels.nuke', json(token, {}));
    expect([unknown.status, JSON.parse(unknown.body).error.code]).toEqual([404, 'unknown_call']);
    const badJson = await http(port, '/api/stats.get', { ...json(token, {}), body: '{oops' });
    expect([badJson.status, JSON.parse(badJson.body).error.code]).toEqual([400, 'bad_input']);
    const invalid = await http(port, '/api/images.get', json(token, { id: 'seven' }));
    expect(JSON.parse(invalid.body).error.message).toContain('id');
    const notFound = await http(port, '/api/images.get', json(token, { id: 7 }));
    expect([notFound.status, JSON.parse(notFound.body).error.message]).toEqual([404, 'Image 7 does not exist.']);
  });

  it('imports through POST /api/import.folder, streams progress events, and serves the images', async () => {
    const { port, token } = await start();
    const events: string[] = [];
    const stream = await new Promise<import('node:http').IncomingMessage>((resolve) => {
      request({ host: '127.0.0.1', port, path: '/events', headers: { 'x-grapheme-token': token } }, resolve).end();
    });
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => events.push(c));
    const r = await http(port, '/api/import.folder', json(token, { folder: FORMS, labels: join(FORMS, 'labels.csv') }));
    expect(JSON.parse(r.body).value).toMatchObject({ imported: 405, labeled: 405, rejected: [] });
    await new Promise((res) => setTimeout(res, 50));
    stream.destroy();
    const text = events.join('');
    expect(text).toContain('event: import.progress');
    expect(text).toMatch(/event: import.done\ndata: \{[^\n]*"imported":405/);

    const page = JSON.parse(
      (await http(port, '/api/images.page', json(token, { state: 'labeled', limit: 5 }))).body,
    ).value;
    expect(page.total).toBe(405);
    const img = await http(port, `/image/${page.items[0].id}`, { headers: { 'x-grapheme-token': token } });
    expect([img.status, img.headers['content-type']]).toEqual([200, 'image/png']);
    const stats = JSON.parse((await http(port, '/api/stats.get', json(token, {}))).body).value;
    expect(stats).toMatchObject({ images: 405, labeled: 405 });
  });

  it('imports a competition parquet with its train.csv through POST /api/import.parquet and exports it back', async () => {
    const { port, token, dir } = await start();
    const images = await competitionImages(12);
    const file = join(dir, 'train_image_data_0.parquet');
    writeCompetitionParquet(file, { rows: 12, images });
    const csv = join(dir, 'train.csv');
    writeFileSync(csv, trainCsv(images, 12));
    const r = JSON.parse((await http(port, '/api/import.parquet', json(token, { files: [file], labels: csv }))).body);
    expect(r.value).toMatchObject({ imported: 12, labeled: 12, rejected: [] });
    const out = join(dir, 'out.csv');
    const e = JSON.parse((await http(port, '/api/export.labels', json(token, { out }))).body);
    expect(e.value).toEqual({ rows: 12, path: out });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(csv, 'utf8'));
  });
});

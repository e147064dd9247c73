/**
 * Browser-mode import by upload (issue 13, finding 3) over real HTTP: files,
 * a folder with its labels CSV, parquet and a train.csv go to disk in a staging
 * folder and through the CLI's importers; the same checks as every call (token,
 * Host/Origin), size caps with a clear message, and a labels CSV download.
 */
import { request } from 'node:http';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Service } from '../../src-main/service/service.js';
import { Project } from '../../src-main/store/project.js';
import { serve, type RunningServer } from '../../src-main/web/server.js';
import type { UploadLimits } from '../../src-main/web/upload.js';
import { competitionImages, trainCsv, writeCompetitionParquet } from '../fixtures/parquet.js';
import { FORMS, tempDir } from '../helpers.js';

let running: RunningServer | undefined;
let service: Service | undefined;

afterEach(async () => {
  await running?.close();
  service?.close();
  running = service = undefined;
});

async function start(uploadLimits?: UploadLimits) {
  const dir = tempDir();
  service = new Service(new Project(join(dir, 'p.sqlite')));
  running = await serve(service, uploadLimits ? { uploadLimits } : {});
  return { port: running.port, token: running.token, dir };
}

function send(port: number, path: string, body: Buffer | string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((ok, fail) => {
    // agent: false: a kept-alive socket the server closed while the test prepared a file would reset.
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => ok({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on('error', (e) => fail(new Error(`${path}: ${e.message}`)));
    req.end(body);
  });
}

const upload = (port: number, token: string, batch: string, path: string, bytes: Buffer, extra = {}) =>
  send(port, `/upload/${batch}?path=${encodeURIComponent(path)}`, bytes, {
    'content-type': 'application/octet-stream',
    'x-grapheme-token': token,
    ...extra,
  });

const call = async (port: number, token: string, method: string, input: unknown) =>
  JSON.parse(
    (
      await send(port, `/api/${method}`, JSON.stringify(input), {
        'content-type': 'application/json',
        'x-grapheme-token': token,
      })
    ).body,
  );

describe('import by upload', () => {
  it('imports a folder with its labels CSV, parquet with train.csv, and lists what it rejects by the uploaded path', async () => {
    const { port, token } = await start();
    const batch = randomUUID();
    const scan = join(FORMS, 'scan0020');
    for (const name of readdirSync(scan))
      expect((await upload(port, token, batch, `scan0020/${name}`, readFileSync(join(scan, name)))).status).toBe(200);
    const labels = 'path,grapheme_root,vowel_diacritic,consonant_diacritic\nr0c0.png,13,0,0\nr0c1.png,999,0,0\n';
    await upload(port, token, batch, 'scan0020/labels.csv', Buffer.from(labels));
    await upload(port, token, batch, 'scan0020/broken.png', Buffer.from('not a png'));
    const images = await competitionImages(6);
    const dir = tempDir();
    writeCompetitionParquet(join(dir, 'p.parquet'), { rows: 6, images });
    await upload(port, token, batch, 'train_image_data_0.parquet', readFileSync(join(dir, 'p.parquet')));
    await upload(port, token, batch, 'train.csv', Buffer.from(trainCsv(images, 6)));
    // Over 1 MiB (the JSON body cap): streamed to disk, then refused by the importer as not an image.
    const big = randomBytes(3 * 1024 * 1024);
    expect(JSON.parse((await upload(port, token, batch, 'noise.png', big)).body)).toEqual({
      ok: true,
      value: { path: 'noise.png', bytes: big.length },
    });

    const r = await call(port, token, 'import.upload', { batch, jobId: 'job-1' });
    expect(r.value).toMatchObject({ jobId: 'job-1', imported: 81 + 6, labeled: 1 + 6 });
    const sources = (r.value.rejected as { source: string; reason: string }[]).map((x) =>
      x.source.replace(/:\d+$/, ''),
    );
    expect(sources.sort()).toEqual(['noise.png', 'scan0020/broken.png', 'scan0020/labels.csv']);
    expect(service!.project.images.idByName('r0c0')).toBeDefined();
    expect(existsSync(service!.uploads.batchDir(batch))).toBe(false);
    // The same batch id again: nothing is left to import.
    expect((await call(port, token, 'import.upload', { batch })).error.code).toBe('not_found');
  });

  it('checks the token and Origin, the content type and the path, and caps sizes with what to do', async () => {
    const { port, token } = await start({ fileBytes: 1000, batchBytes: 1500 });
    const batch = randomUUID();
    const bytes = Buffer.alloc(800, 1);
    expect((await upload(port, '', batch, 'a.png', bytes, { 'x-grapheme-token': 'wrong' })).status).toBe(401);
    expect((await upload(port, token, batch, 'a.png', bytes, { origin: 'http://evil.example' })).status).toBe(403);
    const form = await upload(port, token, batch, 'a.png', bytes, { 'content-type': 'text/plain' });
    expect(JSON.parse(form.body).error.message).toContain('application/octet-stream');
    for (const bad of ['../a.png', '/etc/passwd', 'a//b.png', 'a\\..\\b.png']) {
      const r = await upload(port, token, batch, bad, bytes);
      expect([bad, r.status]).toEqual([bad, 400]);
    }
    const tooBig = await upload(port, token, batch, 'big.png', Buffer.alloc(1200, 1));
    expect(tooBig.status).toBe(400);
    expect(JSON.parse(tooBig.body).error.message).toMatch(
      /big\.png .* over the 1000 bytes upload limit per file: import it from a path/,
    );
    expect((await upload(port, token, batch, 'a.png', bytes)).status).toBe(200);
    const second = await upload(port, token, batch, 'b.png', bytes);
    expect(JSON.parse(second.body).error.message).toContain('limit per import');
    // Neither refused file stayed on disk.
    const loose = join(service!.uploads.batchDir(batch), 'loose');
    expect(readdirSync(loose)).toEqual(['a.png']);
    expect((await call(port, token, 'import.discard', { batch })).value).toEqual({ discarded: true });
    expect(existsSync(loose)).toBe(false);
  });

  it('downloads the labels as train.csv', async () => {
    const { port, token } = await start();
    await call(port, token, 'import.folder', { folder: join(FORMS, 'scan0020') });
    const id = service!.project.images.idByName('r0c0')!;
    await call(port, token, 'labels.set', {
      imageId: id,
      state: 'labeled',
      root: 13,
      vowel: 2,
      consonant: 5,
      annotator: 'a',
    });
    const r = await new Promise<{ status: number; body: string; disposition: unknown }>((ok) =>
      request(
        { host: '127.0.0.1', port, path: '/download/labels.csv', headers: { 'x-grapheme-token': token } },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => ok({ status: res.statusCode!, body, disposition: res.headers['content-disposition'] }));
        },
      ).end(),
    );
    expect(r.status).toBe(200);
    expect(r.disposition).toBe('attachment; filename="p-labels.csv"');
    expect(r.body).toBe('image_id,grapheme_root,vowel_diacritic,consonant_diacritic,grapheme\nr0c0,13,2,5,ক্রি\n');
  });
});

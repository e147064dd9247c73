/**
 * A project on a disk that fills up (a tmpfs with a size limit, mounted for
 * the test), and a project file this process may not write: label saves and
 * imports are refused with a message that says why, nothing stored changes,
 * and a full disk works again once space is freed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, cpSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, type Dispatch } from '../../../src-main/contract/dispatcher.js';
import type { ImportSummary } from '../../../src-main/contract/domain.js';
import { Service } from '../../../src-main/service/service.js';
import { Project } from '../../../src-main/store/project.js';
import { CLI, FORMS, tempDir } from '../../helpers.js';
import { digest, integrity, marks } from '../../reliability/project-digest.js';
import { startServe } from '../../reliability/serve-process.js';

function tryMount(dir: string): string | null {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0
    ? null
    : `mount -t tmpfs is not permitted here (${(r.stderr || r.error?.message || '').trim()})`;
}

/** Writes until the disk says ENOSPC; returns the filler's path. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return file;
}

const mountDir = mkdtempSync(join(tmpdir(), 'gs-full-'));
const skipReason = tryMount(mountDir);
if (skipReason) console.log(`disk-full tests skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('a full disk', () => {
  let service: Service;
  let dispatch: Dispatch;
  beforeAll(async () => {
    service = new Service(new Project(join(mountDir, 'p.sqlite')));
    dispatch = createDispatcher(service.handlers);
    const r = await dispatch('import.folder', { folder: join(FORMS, 'scan0000') });
    expect(r.ok).toBe(true);
  });
  afterAll(() => {
    service?.close();
    spawnSync('umount', [mountDir]);
    rmSync(mountDir, { recursive: true, force: true });
  });

  it('refuses label saves and imports with a disk-full error, changes nothing, and works once space is freed', async () => {
    const { db } = service.project;
    const before = marks(db);
    const was = digest(db, before);
    const filler = fill(mountDir);

    const save = { imageId: 1, state: 'labeled', root: 5, vowel: 1, consonant: 0, annotator: 'asha' };
    // The WAL may still hold a page or two of room: keep saving until the disk refuses.
    let refused: Awaited<ReturnType<Dispatch>> | undefined;
    for (let i = 0; i < 50 && !refused; i++) {
      const r = await dispatch('labels.set', { ...save, root: i % 168 });
      if (!r.ok) refused = r;
    }
    expect(refused).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(refused!.ok || refused!.error.message).toMatch(
      /disk holding the project .* is full: this change was not saved/,
    );
    const imageRows = db.prepare('SELECT count(*) FROM images').pluck().get();
    // Named scan0020/..., so that they do not collide with the first folder's r0c0...
    const more = tempDir();
    cpSync(join(FORMS, 'scan0020'), join(more, 'scan0020'), { recursive: true });
    const imp = await dispatch('import.folder', { folder: more });
    expect(imp.ok || imp.error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/is full/) });
    expect(db.prepare('SELECT count(*) FROM images').pluck().get()).toBe(imageRows);
    expect(integrity(db)).toBe('ok');
    // Saves made before the disk filled, and the rows stored before, are as they were.
    const mid = marks(db);
    expect(digest(db, before, false)).toEqual(Object.fromEntries(Object.entries(was).filter(([k]) => k !== 'labels')));

    rmSync(filler);
    const again = await dispatch('labels.set', { ...save, root: 99 });
    expect(again).toMatchObject({ ok: true, value: { root: 99 } });
    const imported = await dispatch('import.folder', { folder: more });
    expect(imported.ok && (imported.value as ImportSummary).imported).toBeGreaterThan(0);
    expect(integrity(db)).toBe('ok');
    expect(marks(db).image).toBeGreaterThan(mid.image);
  });
});

const root = process.getuid?.() === 0;
const setpriv = spawnSync('setpriv', ['--version']).status === 0;
describe.skipIf(root && !setpriv)('a read-only project file', () => {
  it('opens for browsing, says why it cannot save, and refuses saves with that reason', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o777); // SQLite writes its -shm beside the file even to read
    const db = join(dir, 'p.sqlite');
    execFileSync(process.execPath, [CLI, 'import', '--db', db, '--folder', join(FORMS, 'scan0000'), '--json'], {
      stdio: 'pipe',
    });
    chmodSync(db, 0o444);
    // Root may write any file: the server runs as nobody so that the permissions hold.
    const server = await startServe(
      db,
      'read-only-token-0123456789abcdef',
      0,
      root ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [],
    );
    try {
      const call = async (method: string, body: unknown) => {
        const res = await fetch(`${server.origin}/api/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-grapheme-token': server.token },
          body: JSON.stringify(body),
        });
        return [res.status, (await res.json()) as { ok: boolean; error: { message: string } }] as const;
      };
      expect(await call('project.info', {})).toMatchObject([
        200,
        { ok: true, value: { readOnly: 'its file permissions do not allow writing' } },
      ]);
      expect(await call('images.page', { limit: 5 })).toMatchObject([
        200,
        { ok: true, value: { items: expect.any(Array) } },
      ]);
      const [status, save] = await call('labels.set', {
        imageId: 1,
        state: 'labeled',
        root: 1,
        vowel: 1,
        consonant: 1,
        annotator: 'asha',
      });
      expect(status).toBe(503);
      expect(save.error.message).toMatch(/is read-only: you can browse it, but changes cannot be saved/);
    } finally {
      await server.stop();
    }
  });
});

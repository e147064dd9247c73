/**
 * The Labeler's save queue, the real class (compiled by the svelte plugin) over the
 * contract's client, with the desktop bridge answered by a real Service on a
 * project file: saves go in order, a save the server cannot take comes back on
 * screen and is retried until it lands, a refused one is not retried.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Transport } from '../../../src-main/contract/client.js';
import type { ImageSummary } from '../../../src-main/contract/domain.js';
import { fail } from '../../../src-main/contract/envelope.js';
import { inProcessTransport } from '../../../src-main/service/in-process.js';
import { Service } from '../../../src-main/service/service.js';
import { Project } from '../../../src-main/store/project.js';
import { FORMS } from '../../helpers.js';

// Imported at run time only: the renderer's modules are type-checked by svelte-check under the
// renderer's own settings (bundler resolution, DOM, runes), not by this project's NodeNext config.
const STATE = '../../../src-renderer/src/lib/state/';
interface LabelerLike {
  queue: {
    items: { id: number }[];
    current: ImageSummary | undefined;
    start(f: { state: 'unlabeled' }): Promise<void>;
  };
  root: number | null;
  vowel: number | null;
  consonant: number | null;
  outbox: { image: ImageSummary; root: number | null }[];
  saveError: string | null;
  retryInMs: number;
  notice: string | null;
  commit(state: 'labeled' | 'skipped'): boolean;
  sync(img: ImageSummary | undefined): void;
  retryNow(): void;
}
type LabelerModule = { Labeler: new () => LabelerLike };

let service: Service;
/** While set, the bridge answers as the HTTP transport does when the server is away. */
let away = false;
let mod: LabelerModule;
// Not helpers' tempDir: that one is removed after each test, and this project lives for the file.
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-labeler-'));
  const folder = join(dir, 'scans');
  mkdirSync(folder);
  const scan = join(FORMS, 'scan0000');
  for (const f of readdirSync(scan).sort().slice(0, 6)) cpSync(join(scan, f), join(folder, f));
  service = new Service(new Project(join(dir, 'p.sqlite')));
  const real = inProcessTransport(service);
  const bridge: Transport = {
    invoke: (method, input) =>
      away ? Promise.resolve(fail('unavailable', 'Cannot reach Grapheme Studio.')) : real.invoke(method, input),
    on: real.on,
  };
  // What the renderer finds in the desktop app; Image: the queue preloads decoded images.
  vi.stubGlobal('window', { graphemeStudio: bridge });
  vi.stubGlobal(
    'Image',
    class {
      decode = () => Promise.resolve();
    },
  );
  await real.invoke('import.folder', { folder });
  mod = (await import(`${STATE}labeler.svelte.js`)) as LabelerModule;
  const { annotator } = (await import(`${STATE}annotator.svelte.js`)) as { annotator: { set(name: string): void } };
  annotator.set('tester');
});

afterAll(() => {
  vi.unstubAllGlobals();
  service?.close();
  rmSync(dir, { recursive: true, force: true });
});

const stored = (id: number) =>
  service.project.db.prepare('SELECT state, root, vowel, consonant, annotator FROM labels WHERE image_id = ?').get(id);

async function labeler() {
  const l = new mod.Labeler();
  await l.queue.start({ state: 'unlabeled' });
  return l;
}

function choose(l: LabelerLike, root: number, vowel: number, consonant: number) {
  l.root = root;
  l.vowel = vowel;
  l.consonant = consonant;
}

describe('Labeler save queue', () => {
  it('shows the next image at once and saves in order', async () => {
    const l = await labeler();
    const ids = l.queue.items.slice(0, 3).map((i) => i.id);
    choose(l, 13, 1, 0);
    expect(l.commit('labeled')).toBe(true);
    expect(l.queue.current?.id).toBe(ids[1]);
    choose(l, 14, 2, 0);
    l.commit('labeled');
    l.commit('skipped');
    expect(l.queue.current?.id).not.toBe(ids[2]);
    await vi.waitFor(() => expect(l.outbox).toHaveLength(0));
    expect(stored(ids[0]!)).toEqual({ state: 'labeled', root: 13, vowel: 1, consonant: 0, annotator: 'tester' });
    expect(stored(ids[1]!)).toEqual({ state: 'labeled', root: 14, vowel: 2, consonant: 0, annotator: 'tester' });
    expect(stored(ids[2]!)).toMatchObject({ state: 'skipped', annotator: 'tester' });
    expect(l.saveError).toBeNull();
  });

  it('refuses an incomplete label without sending it', async () => {
    const l = await labeler();
    const first = l.queue.current!.id;
    l.root = 5;
    expect(l.commit('labeled')).toBe(false);
    expect(l.notice).toBe('Choose the vowel diacritic first.');
    expect([l.queue.current?.id, l.outbox.length]).toEqual([first, 0]);
  });

  it('brings a save that cannot reach the server back on screen and retries it until it lands', async () => {
    const l = await labeler();
    const [a, b] = l.queue.items.slice(0, 2).map((i) => i.id);
    away = true;
    try {
      choose(l, 20, 3, 1);
      l.commit('labeled');
      await vi.waitFor(() => expect(l.saveError).toMatch(/^Not saved yet: Cannot reach Grapheme Studio\. Retrying…$/));
      // The image of the failing save is back, with the choice made for it, and nothing was written.
      expect(l.queue.current).toMatchObject({ id: a, root: 20, vowel: 3, consonant: 1 });
      expect(l.retryInMs).toBe(500);
      expect(l.outbox).toHaveLength(1);
      expect(stored(a!)).toMatchObject({ state: 'unlabeled' });
      // Confirming it again while it fails replaces the queued choice instead of queueing a second save.
      l.sync(l.queue.current);
      l.root = 21;
      expect(l.commit('labeled')).toBe(true);
      // It was sent at once, failed again, and waits longer before the next try.
      await vi.waitFor(() => expect(l.retryInMs).toBe(1000));
      expect(l.outbox.map((e) => [e.image.id, e.root])).toEqual([[a, 21]]);
    } finally {
      away = false;
    }
    l.retryNow();
    await vi.waitFor(() => expect(l.outbox).toHaveLength(0));
    expect(l.saveError).toBeNull();
    expect(stored(a!)).toEqual({ state: 'labeled', root: 21, vowel: 3, consonant: 1, annotator: 'tester' });
    expect(l.queue.current?.id).toBe(b);
  });

  it('does not retry a save the server refuses, and says why', async () => {
    const l = await labeler();
    const gone = l.queue.current!.id;
    service.project.db.prepare('DELETE FROM images WHERE id = ?').run(gone);
    l.commit('skipped');
    await vi.waitFor(() => expect(l.saveError).toMatch(/^Not saved: /));
    expect(l.outbox).toHaveLength(0);
    expect(l.retryInMs).toBe(0);
    expect(l.queue.current?.id).toBe(gone);
  });
});

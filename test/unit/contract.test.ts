import { describe, expect, it } from 'vitest';
import { AppError, createDispatcher, callSchemas, type Handlers } from '../../src-main/contract/index.js';

function handlers(overrides: Partial<Handlers>): Handlers {
  const missing = () => {
    throw new Error('not used in this test');
  };
  const base = Object.fromEntries(Object.keys(callSchemas).map((k) => [k, missing])) as unknown as Handlers;
  return { ...base, ...overrides };
}

describe('dispatcher', () => {
  it('rejects unknown calls by name', async () => {
    const dispatch = createDispatcher(handlers({}));
    const r = await dispatch('labels.destroyEverything', {});
    expect(r).toEqual({
      ok: false,
      error: { code: 'unknown_call', message: 'Unknown call "labels.destroyEverything".' },
    });
  });

  it('does not treat inherited object keys as calls', async () => {
    const r = await createDispatcher(handlers({}))('constructor', {});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('unknown_call');
  });

  it('rejects invalid input naming the field', async () => {
    const dispatch = createDispatcher(handlers({}));
    const r = await dispatch('labels.set', {
      imageId: 1,
      state: 'labeled',
      root: 500,
      vowel: 0,
      consonant: 0,
      annotator: 'a',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('bad_input');
    expect(r.error.message).toContain('root');
    expect(r.error.issues?.[0]?.path).toBe('root');
  });

  it('rejects a labeled state without all three components', async () => {
    const r = await createDispatcher(handlers({}))('labels.set', {
      imageId: 1,
      state: 'labeled',
      root: 3,
      vowel: null,
      consonant: 0,
      annotator: 'a',
    });
    expect(!r.ok && r.error.message).toMatch(/needs root, vowel and consonant/);
  });

  it('rejects unexpected fields', async () => {
    const r = await createDispatcher(handlers({}))('stats.get', { sneaky: true });
    expect(!r.ok && r.error.code).toBe('bad_input');
  });

  it("refuses a training config out of range at the call, in the trainer's words, before any handler", async () => {
    // 'training.start' is not given a handler: reaching it would throw 'not used in this test' (internal).
    const dispatch = createDispatcher(handlers({}));
    expect(await dispatch('training.start', { batch: 0 })).toEqual({
      ok: false,
      error: {
        code: 'bad_input',
        message: 'Invalid training config: batch must be >= 1, got 0',
        issues: [{ path: 'batch', message: 'batch must be >= 1, got 0' }],
      },
    });
    const two = await dispatch('training.start', { lr: 0, epochs: 0, colour: 'red' });
    expect(!two.ok && two.error.message).toBe(
      'Invalid training config: epochs must be an integer in 1..10000, got 0; lr must be a number in (0, 10], got 0; unknown config field colour',
    );
    let seen: unknown;
    const ok = await createDispatcher(handlers({ 'training.start': (c) => ((seen = c), { runId: 1, split: null! }) }))(
      'training.start',
      { batch: 4096, holdout: null },
    );
    expect(ok.ok).toBe(true);
    expect(seen).toEqual({ batch: 4096, holdout: null });
  });

  it('passes validated input with defaults to the handler', async () => {
    let seen: unknown;
    const dispatch = createDispatcher(
      handlers({
        'images.page': (input) => {
          seen = input;
          return { items: [], next: null, total: 0 };
        },
      }),
    );
    const r = await dispatch('images.page', { state: 'unlabeled' });
    expect(r).toEqual({ ok: true, value: { items: [], next: null, total: 0 } });
    expect(seen).toEqual({ state: 'unlabeled', limit: 200 });
  });

  it('settles typed errors thrown by handlers', async () => {
    const dispatch = createDispatcher(
      handlers({
        'images.get': () => {
          throw new AppError('not_found', 'Image 9 does not exist.');
        },
      }),
    );
    expect(await dispatch('images.get', { id: 9 })).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'Image 9 does not exist.' },
    });
  });

  it('hides unexpected errors behind a generic message and reports them', async () => {
    const logged: unknown[] = [];
    const dispatch = createDispatcher(
      handlers({
        'stats.get': async () => {
          throw new TypeError('secret internals at /home/x/y.ts:12');
        },
      }),
      (_m, err) => logged.push(err),
    );
    const r = await dispatch('stats.get', {});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('internal');
    expect(JSON.stringify(r)).not.toContain('secret internals');
    expect(logged).toHaveLength(1);
  });
});

/**
 * Export and import refuse bad targets and damaged folders with a message
 * that names the problem, and change nothing: no partial folder, no run
 * record, no checkpoint folder.
 */
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../../src-main/contract/client.js';
import { AppError, type ErrorCode } from '../../../src-main/contract/envelope.js';
import { inProcessClient } from '../../../src-main/service/in-process.js';
import { Service } from '../../../src-main/service/service.js';
import { Project } from '../../../src-main/store/project.js';
import { tempDir } from '../../helpers.js';
import { checkpointedRun, runWithoutCheckpoint } from './fixture.js';

let home: string;
let service: Service;
let client: Client;
let runId: number;
/** A good export of `runId`, copied before each damage. */
let good: string;

async function refused(p: Promise<unknown>, code: ErrorCode, text: RegExp | string) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'the call should have been refused').toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  expect((err as AppError).message).toMatch(text);
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'gs-export-bad-'));
  service = new Service(new Project(join(home, 'a.sqlite')));
  client = inProcessClient(service);
  runId = await checkpointedRun(service);
  good = join(home, 'good');
  await client.call('runs.export', { runId, format: 'all', out: good });
});
afterAll(() => {
  service?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('runs.export refuses', () => {
  it('a folder that has files in it, and leaves them alone', async () => {
    const out = join(tempDir(), 'busy');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    await refused(client.call('runs.export', { runId, format: 'all', out }), 'conflict', /busy is not empty/);
    expect(readdirSync(out)).toEqual(['notes.txt']);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    // No temporary folder left beside it.
    expect(readdirSync(join(out, '..'))).toEqual(['busy']);
    // Only the good export of beforeAll is on record.
    expect((await client.call('runs.get', { runId })).summary.exports?.map((e) => e.out)).toEqual([good]);
  });

  it('a target that is a file, or whose parent folder does not exist', async () => {
    const parent = tempDir();
    writeFileSync(join(parent, 'file'), 'x');
    await refused(
      client.call('runs.export', { runId, format: 'all', out: join(parent, 'file') }),
      'bad_input',
      /is not a folder/,
    );
    await refused(
      client.call('runs.export', { runId, format: 'all', out: join(parent, 'missing', 'out') }),
      'bad_input',
      /missing does not exist/,
    );
    expect(readdirSync(parent)).toEqual(['file']);
  });

  it('a place it cannot write', async () => {
    // /proc refuses new folders even to root.
    await refused(
      client.call('runs.export', { runId, format: 'all', out: '/proc/gs-export' }),
      'bad_input',
      /cannot write/,
    );
    if (process.getuid?.() !== 0) {
      const parent = tempDir();
      chmodSync(parent, 0o555);
      try {
        await refused(
          client.call('runs.export', { runId, format: 'all', out: join(parent, 'out') }),
          'bad_input',
          /cannot write/,
        );
        expect(readdirSync(parent)).toEqual([]);
      } finally {
        chmodSync(parent, 0o755);
      }
    }
  });

  it('a run without a checkpoint, and a run that does not exist', async () => {
    const bare = runWithoutCheckpoint(service);
    const out = join(tempDir(), 'out');
    await refused(
      client.call('runs.export', { runId: bare, format: 'all', out }),
      'conflict',
      `run ${bare} has no checkpoint`,
    );
    await refused(
      client.call('runs.export', { runId: 999, format: 'all', out }),
      'not_found',
      'run 999 does not exist',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('nothing else: an empty folder is used, the path exactly as given, each format with its files', async () => {
    const parent = tempDir();
    const empty = join(parent, 'empty');
    mkdirSync(empty);
    const r = await client.call('runs.export', { runId, format: 'tfjs', out: join(parent, 'x', '..', 'empty') });
    expect(r.out).toBe(empty);
    expect(readdirSync(empty).sort()).toEqual(['labels.json', 'model-card.json', 'model-card.md', 'tfjs']);
    const onnx = join(parent, 'onnx');
    await client.call('runs.export', { runId, format: 'onnx', out: onnx });
    expect(readdirSync(onnx).sort()).toEqual([
      'labels.json',
      'model-card.json',
      'model-card.md',
      'model.onnx',
      'predict.mjs',
      'predict.py',
    ]);
    expect(readdirSync(parent).sort()).toEqual(['empty', 'onnx']);
  });
});

describe('runs.importModel refuses a damaged folder, naming the file, and changes nothing', () => {
  let target: Service;
  let c2: Client;
  let db: string;
  beforeAll(() => {
    db = join(home, 'b.sqlite');
    target = new Service(new Project(db));
    c2 = inProcessClient(target);
  });
  afterAll(() => target.close());

  /** A fresh copy of the good export, damaged by `harm`. */
  function damaged(harm: (dir: string) => void): string {
    const dir = join(tempDir(), 'export');
    cpSync(good, dir, { recursive: true });
    harm(dir);
    return dir;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- hand edits of arbitrary JSON
  const editJson = (file: string, edit: (o: Record<string, any>) => void) => {
    const o = JSON.parse(readFileSync(file, 'utf8'));
    edit(o);
    writeFileSync(file, JSON.stringify(o));
  };
  /** A card that no longer lists the files, so the checks behind it must catch the damage on their own. */
  const withoutHashes = (dir: string) => editJson(join(dir, 'model-card.json'), (c) => (c.files = {}));

  async function expectUnchanged(p: Promise<unknown>, text: RegExp | string) {
    await refused(p, 'bad_input', text);
    expect(await c2.call('runs.list', {})).toEqual([]);
    expect(existsSync(join(home, 'b.runs'))).toBe(false);
  }

  const cases: [string, (dir: string) => void, RegExp | string][] = [
    ['missing model card', (d) => rmSync(join(d, 'model-card.json')), /model-card\.json is missing/],
    ['missing labels', (d) => rmSync(join(d, 'labels.json')), /labels\.json is missing/],
    ['missing weights', (d) => rmSync(join(d, 'tfjs', 'weights.bin')), /tfjs\/weights\.bin is missing/],
    [
      'truncated weights',
      (d) => truncateSync(join(d, 'tfjs', 'weights.bin'), 1000),
      /tfjs\/weights\.bin is corrupt: it is 1000 bytes/,
    ],
    [
      'a flipped byte in the weights',
      (d) => {
        const f = join(d, 'tfjs', 'weights.bin');
        const b = readFileSync(f);
        b[b.length >> 1] = b[b.length >> 1]! ^ 0xff;
        writeFileSync(f, b);
      },
      /tfjs\/weights\.bin is corrupt: its SHA-256 differs/,
    ],
    [
      'unparsable model.json',
      (d) => writeFileSync(join(d, 'tfjs', 'model.json'), '{"modelTopology": '),
      /tfjs\/model\.json is corrupt/,
    ],
    [
      'unparsable model.json, card without hashes',
      (d) => {
        withoutHashes(d);
        writeFileSync(join(d, 'tfjs', 'model.json'), '{"modelTopology": ');
      },
      /model\.json is not valid JSON/,
    ],
    [
      'short weights, card without hashes',
      (d) => {
        withoutHashes(d);
        truncateSync(join(d, 'tfjs', 'weights.bin'), 4096);
      },
      /weight file weights\.bin is 4096 bytes but model\.json describes \d+/,
    ],
    [
      'a weight manifest that points outside the folder',
      (d) => {
        withoutHashes(d);
        editJson(join(d, 'tfjs', 'model.json'), (m) => (m.weightsManifest[0].paths = ['../../a.sqlite']));
      },
      /"\.\.\/\.\.\/a\.sqlite" is not a plain file name/,
    ],
    [
      'a card that lists a file outside the folder',
      (d) => editJson(join(d, 'model-card.json'), (c) => (c.files['../../a.sqlite'] = { bytes: 1, sha256: 'x' })),
      /outside the export folder/,
    ],
    [
      'a model with a layer removed',
      (d) => {
        withoutHashes(d);
        editJson(join(d, 'tfjs', 'model.json'), (m) => {
          const layers = m.modelTopology.config.layers as { name: string }[];
          layers.splice(
            layers.findIndex((l) => l.name === 'stem_bn'),
            1,
          );
        });
      },
      /read unknown layers/,
    ],
    ['an ONNX-only export', (d) => rmSync(join(d, 'tfjs'), { recursive: true }), /tfjs\/model\.json is missing/],
  ];

  for (const [what, harm, message] of cases)
    it(what, async () => {
      await expectUnchanged(c2.call('runs.importModel', { dir: damaged(harm) }), message);
    });

  it('an ONNX-only export says how to get an importable one', async () => {
    const dir = join(tempDir(), 'onnx-only');
    await client.call('runs.export', { runId, format: 'onnx', out: dir });
    await expectUnchanged(c2.call('runs.importModel', { dir }), /holds no TF\.js model .*--format tfjs or all/);
  });

  it('a folder that does not exist', async () => {
    await expectUnchanged(c2.call('runs.importModel', { dir: join(home, 'nowhere') }), /nowhere is not a folder/);
  });

  it('a failure while writing the checkpoint rolls the run record back', async () => {
    // The project's runs folder cannot be created: a file sits where it goes.
    writeFileSync(join(home, 'b.runs'), 'in the way');
    try {
      await refused(
        c2.call('runs.importModel', { dir: damaged(() => {}) }),
        'bad_input',
        /could not import .*(ENOTDIR|EEXIST)/,
      );
      expect(await c2.call('runs.list', {})).toEqual([]);
      expect(readFileSync(join(home, 'b.runs'), 'utf8')).toBe('in the way');
    } finally {
      rmSync(join(home, 'b.runs'));
    }
  });

  it('and imports the undamaged copy', async () => {
    const { runId: id, run } = await c2.call('runs.importModel', { dir: damaged(() => {}) });
    expect(run.status).toBe('done');
    expect(readdirSync(target.project.runDir(id).checkpoint).sort()).toEqual([
      'model.json',
      'state.json',
      'weights.bin',
    ]);
  });
});

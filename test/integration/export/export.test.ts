/**
 * Model export for real: a tiny run trained on the 405 real handwriting
 * samples, exported, then
 * - run by another program (the export's own predict.mjs: sharp + onnxruntime,
 *   preprocessing implemented from the model card's numbers), compared with
 *   the app's predictions on the same image files;
 * - imported into a fresh project, where it predicts exactly as before.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../../src-main/contract/client.js';
import { CLASS_COUNTS, COMPONENTS } from '../../../src-main/contract/domain.js';
import { composeGrapheme } from '../../../src-main/contract/grapheme.js';
import type { ModelCard } from '../../../src-main/export/model-card.js';
import { decodeImage } from '../../../src-main/ingest/decode.js';
import { preprocess } from '../../../src-main/ingest/preprocess.js';
import { inProcessClient } from '../../../src-main/service/in-process.js';
import { Service } from '../../../src-main/service/service.js';
import { APP_VERSION } from '../../../src-main/shared/app-files.js';
import { Project } from '../../../src-main/store/project.js';
import { ROOT, FORMS } from '../../helpers.js';

const TINY = { arch: 'resnet18', size: 32, baseWidth: 8, epochs: 1, batch: 32, engine: 'wasm' } as const;
/** Every 4th sample: about 100 images from every scan. */
const SAMPLE = (id: number) => id % 4 === 1;

let dir: string;
let service: Service;
let client: Client;
let runId: number;
let out: string;
let card: ModelCard;

type Probs = Record<(typeof COMPONENTS)[number], number[]>;

/** The app's own probabilities (runs.predict with every class), by image source path. */
async function appProbs(c: Client, run: number, ids: number[]): Promise<Map<string, Probs>> {
  const { predictions } = await c.call('runs.predict', { runId: run, imageIds: ids, k: CLASS_COUNTS.root });
  const byPath = new Map<string, Probs>();
  for (const p of predictions) {
    const img = await c.call('images.get', { id: p.imageId });
    const full = {} as Probs;
    for (const comp of COMPONENTS) {
      full[comp] = new Array<number>(CLASS_COUNTS[comp]).fill(NaN);
      for (const t of p[comp]) full[comp][t.classId] = t.prob;
    }
    byPath.set(img.source, full);
  }
  return byPath;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-export-'));
  service = new Service(new Project(join(dir, 'a.sqlite')));
  client = inProcessClient(service);
  await client.call('import.folder', { folder: FORMS, labels: join(FORMS, 'labels.csv') });
  ({ runId } = await client.call('training.start', TINY));
  const run = await service.supervisor.wait(runId);
  expect(run.status, run.error ?? '').toBe('done');
  out = join(dir, 'export');
  await client.call('runs.export', { runId, format: 'all', out });
  card = JSON.parse(readFileSync(join(out, 'model-card.json'), 'utf8')) as ModelCard;
});

afterAll(() => {
  service?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runs.export', () => {
  it('writes the TF.js model, ONNX, labels and a card that describes the run', async () => {
    const files = readdirSync(out, { recursive: true }).map(String).sort();
    expect(files).toEqual([
      'labels.json',
      'model-card.json',
      'model-card.md',
      'model.onnx',
      'predict.mjs',
      'predict.py',
      'tfjs',
      'tfjs/model.json',
      'tfjs/weights.bin',
    ]);
    const detail = await client.call('runs.get', { runId });
    const state = JSON.parse(readFileSync(join(service.project.runDir(runId).checkpoint, 'state.json'), 'utf8'));
    expect(card.appVersion).toBe(APP_VERSION);
    expect(card.run.id).toBe(runId);
    expect(card.run.engine).toBe('wasm');
    expect(card.config).toEqual(detail.config);
    expect(card.input.size).toBe(32);
    expect(card.input.normalization).toEqual(state.normalization);
    expect(card.data.train + card.data.val).toBe(405);
    expect(card.metrics.exported).toEqual({ epoch: 1, val: detail.epochs[0]!.val });
    expect(detail.summary.exports).toEqual([{ out, format: 'all', at: Date.parse(card.exportedAt) }]);
    // The checkpoint's weights, byte for byte.
    expect(readFileSync(join(out, 'tfjs/weights.bin'))).toEqual(
      readFileSync(join(service.project.runDir(runId).checkpoint, 'weights.bin')),
    );
    const md = readFileSync(join(out, 'model-card.md'), 'utf8');
    expect(md).toContain(`mean = ${state.normalization.mean}`);
    expect(md).toContain('NCHW [batch, 1, 32, 32]');

    const labels = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8'));
    const tax = service.project.taxonomy;
    for (const c of COMPONENTS) expect(labels[c]).toEqual(tax[c]);
    // The composition rule in labels.json reproduces the app's graphemes.
    for (const [r, v, k] of [
      [13, 2, 5],
      [64, 7, 2],
      [72, 0, 0],
      [23, 3, 1],
      [100, 9, 3],
      [5, 4, 4],
      [30, 1, 6],
    ] as const) {
      const rule = labels.compose.rule[String(k)] as string;
      expect(rule.replace('{root}', tax.root[r]!.glyph).replace('{vowel}', tax.vowel[v]!.glyph)).toBe(
        composeGrapheme(tax, r, v, k),
      );
    }
  });

  it('tfjs/model.json and model.onnx both return probabilities, equal within 1e-4 on the same real images', async () => {
    const json = JSON.parse(readFileSync(join(out, 'tfjs/model.json'), 'utf8'));
    expect(json.userDefinedMetadata.graphemeStudio.outputsAre).toBe('probabilities');
    const weights = readFileSync(join(out, 'tfjs/weights.bin'));
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
      }),
    );
    const session = await ort.InferenceSession.create(join(out, 'model.onnx'));
    const size = card.input.size;
    const { mean, std } = card.input.normalization;
    const ids = (await client.call('images.ids', {})).ids.filter((id) => id % 40 === 3);
    const x = new Float32Array(ids.length * size * size);
    for (const [n, id] of ids.entries()) {
      const d = await decodeImage(readFileSync((await client.call('images.get', { id })).source));
      const pixels = preprocess(d.gray, d.width, d.height, size);
      for (let i = 0; i < pixels.length; i++) x[n * size * size + i] = (pixels[i]! / 255 - mean) / std;
    }
    // One channel: NHWC and NCHW hold the same bytes.
    const fromTfjs = tf.tidy(() => model.predict(tf.tensor4d(x, [ids.length, size, size, 1])) as tf.Tensor[]);
    const fromOnnx = await session.run({ image: new ort.Tensor('float32', x, [ids.length, 1, size, size]) });
    const worst = { root: 0, vowel: 0, consonant: 0 };
    for (const [i, c] of COMPONENTS.entries()) {
      const a = (await fromTfjs[i]!.data()) as Float32Array;
      const b = fromOnnx[c]!.data as Float32Array;
      expect(a.length).toBe(ids.length * CLASS_COUNTS[c]);
      expect(b.length).toBe(a.length);
      for (let j = 0; j < a.length; j++) worst[c] = Math.max(worst[c], Math.abs(a[j]! - b[j]!));
      // Probabilities: every row sums to 1 (logits would not).
      for (let n = 0; n < ids.length; n++) {
        const row = a.subarray(n * CLASS_COUNTS[c], (n + 1) * CLASS_COUNTS[c]);
        expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 4);
        expect(Math.min(...row)).toBeGreaterThanOrEqual(0);
      }
    }
    console.log(`TF.js vs ONNX export on ${ids.length} real images, max |dp|:`, worst);
    for (const c of COMPONENTS) expect(worst[c]).toBeLessThan(1e-4);
    tf.dispose(fromTfjs);
    model.dispose();
    await session.release();
  });

  /** Runs an export's example script on real image files; the largest probability difference from the app per head. */
  async function scriptVsApp(command: string[], what: string) {
    const ids = (await client.call('images.ids', {})).ids.filter(SAMPLE);
    const app = await appProbs(client, runId, ids);
    const paths = [...app.keys()];
    const r = spawnSync(command[0]!, [...command.slice(1), '--json', '--probs', ...paths], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; probs: Probs; grapheme: string });
    expect(lines.map((l) => l.file)).toEqual(paths);
    const worst = { root: 0, vowel: 0, consonant: 0 };
    for (const line of lines) {
      const want = app.get(line.file)!;
      for (const c of COMPONENTS) {
        expect(line.probs[c]).toHaveLength(CLASS_COUNTS[c]);
        for (let i = 0; i < CLASS_COUNTS[c]; i++)
          worst[c] = Math.max(worst[c], Math.abs(line.probs[c][i]! - want[c][i]!));
      }
    }
    console.log(`ONNX (${what}) vs app on ${lines.length} real images, max |dp|:`, worst);
    // The probabilities carry information (a constant output would not differ from image to image).
    const first = lines[0]!.probs.root;
    expect(lines.some((l) => l.probs.root.some((p, i) => Math.abs(p - first[i]!) > 1e-3))).toBe(true);
    return worst;
  }

  it('model.onnx, run by predict.mjs on the image files, matches the app within 1e-4', async () => {
    // predict.mjs resolves onnxruntime-node and sharp from its folder, as it would where a user installed them.
    symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
    try {
      const worst = await scriptVsApp([process.execPath, join(out, 'predict.mjs')], 'predict.mjs');
      for (const c of COMPONENTS) expect(worst[c]).toBeLessThan(1e-4);
    } finally {
      rmSync(join(out, 'node_modules'));
    }
  });

  // predict.py needs numpy, Pillow and onnxruntime: GRAPHEME_PYTHON names a Python that has them.
  const python = process.env.GRAPHEME_PYTHON ?? 'python3';
  const pythonReady = spawnSync(python, ['-c', 'import numpy, PIL, onnxruntime'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!pythonReady)(
    'model.onnx, run by predict.py (numpy, Pillow, onnxruntime), matches within 1e-4',
    async () => {
      const worst = await scriptVsApp([python, join(out, 'predict.py')], 'predict.py');
      for (const c of COMPONENTS) expect(worst[c]).toBeLessThan(1e-4);
    },
  );

  const onnxReady = spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!onnxReady)("model.onnx passes the onnx package's checker with full shape inference", () => {
    const check = [
      'import onnx, sys',
      'm = onnx.load(sys.argv[1])',
      'onnx.checker.check_model(m, full_check=True)',
      'print(m.ir_version, m.opset_import[0].version)',
    ].join('\n');
    const r = spawnSync(python, ['-c', check, join(out, 'model.onnx')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('7 13');
  });

  it("predict.mjs's preprocessing, written from the card's numbers, gives the app's pixels exactly", async () => {
    const script = (await import(pathToFileURL(join(out, 'predict.mjs')).href)) as {
      preprocess: (g: Uint8Array, w: number, h: number, s: number) => Uint8Array;
    };
    const ids = (await client.call('images.ids', {})).ids.filter((id) => id % 9 === 0);
    for (const id of ids) {
      const img = await client.call('images.get', { id });
      const d = await decodeImage(readFileSync(img.source));
      for (const size of [32, 64, 137])
        expect(script.preprocess(d.gray, d.width, d.height, size)).toEqual(preprocess(d.gray, d.width, d.height, size));
    }
  });
});

describe('runs.importModel', () => {
  it('round trip: imported into a fresh project, the model predicts exactly as before', async () => {
    const other = new Service(new Project(join(dir, 'b.sqlite')));
    try {
      const c2 = inProcessClient(other);
      // The same images, unlabeled: the imported model needs no labels to predict.
      await c2.call('import.folder', { folder: FORMS });
      const { runId: imported, run } = await c2.call('runs.importModel', { dir: out });
      expect(run.status).toBe('done');
      expect(run.config).toEqual(card.config);
      expect(run.summary.imported).toMatchObject({ dir: out, sourceRunId: runId, appVersion: APP_VERSION });
      expect(run.summary.metrics).toEqual(card.metrics.exported!.val);
      expect((await c2.call('runs.list', {})).map((r) => r.id)).toEqual([imported]);
      expect((await c2.call('runs.get', { runId: imported })).epochs.map((e) => e.epoch)).toEqual([1]);

      const ids = (await c2.call('images.ids', {})).ids.filter((id) => id % 5 === 0);
      const before = await appProbs(client, runId, ids);
      const after = await appProbs(c2, imported, ids);
      expect(after.size).toBe(ids.length);
      for (const [path, probs] of after) expect(probs).toEqual(before.get(path));
    } finally {
      other.close();
    }
  });
  it('imports a version 1 card, whose metrics keys were snake_case, into camelCase run records', async () => {
    const v1 = join(dir, 'export-v1');
    cpSync(out, v1, { recursive: true });
    const text = readFileSync(join(out, 'model-card.json'), 'utf8');
    const old = text
      .replaceAll('"macroRecall":', '"macro_recall":')
      .replaceAll('"hierarchicalRecall":', '"hierarchical_recall":');
    expect(old).toContain('"macro_recall":');
    writeFileSync(join(v1, 'model-card.json'), JSON.stringify({ ...JSON.parse(old), version: 1 }));
    const other = new Service(new Project(join(dir, 'c.sqlite')));
    try {
      const c3 = inProcessClient(other);
      const { runId: imported, run } = await c3.call('runs.importModel', { dir: v1 });
      expect(run.summary.metrics).toEqual(card.metrics.exported!.val);
      expect((await c3.call('runs.get', { runId: imported })).epochs.map((e) => e.val)).toEqual(
        card.epochs.map((e) => e.val),
      );
    } finally {
      other.close();
    }
  });
});

/**
 * Pretraining on rendered graphemes only: a pool of renders (a pure function
 * of the seed, cached beside the checkpoint so a resume does not redraw it)
 * trained with the ordinary loop (trainer.ts), so the result is a checkpoint
 * in the normal layout that a training run can start from. Validation, when
 * given, is real handwriting: the zero-shot score, epoch by epoch.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Synth } from '../synth/synth.js';
import { readState, type TrainState } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { pixelStats, type Dataset } from './data.js';
import type { EngineInfo, EpochResult, FromWorker } from './protocol.js';
import { runTraining } from './trainer.js';

export interface PretrainJob {
  config: TrainConfig;
  synth: Synth;
  /** Renders in the pool; each epoch goes through all of them (augmented). */
  pool: number;
  /** Real labeled images to validate on (zero-shot), or an empty dataset. */
  val: Dataset;
  outDir: string;
  resume: boolean;
  engine: EngineInfo;
  report: (msg: FromWorker | { type: 'rendered'; done: number; total: number }) => void;
  shouldStop: () => boolean;
}

/** The checkpoint folder inside a pretraining output folder. */
export const pretrainCheckpoint = (outDir: string) => join(outDir, 'last');

/** Renders `count` samples, or reads them back from `file` when it holds the same pool. */
export async function renderPool(
  synth: Synth,
  count: number,
  size: number,
  file: string | null,
  onProgress: (done: number) => void = () => {},
): Promise<Dataset> {
  const key = `${synth.seed}:${count}:${size}:${synth.fonts.map((f) => f.sha256.slice(0, 8)).join(',')}`;
  if (file && existsSync(file)) {
    const raw = gunzipSync(readFileSync(file));
    const headerLength = raw.readUInt32LE(0);
    if (raw.toString('utf8', 4, 4 + headerLength) === key)
      return unpackPool(raw.subarray(4 + headerLength), count, size);
  }
  const n = size * size;
  const ds: Dataset = {
    size,
    ids: Int32Array.from({ length: count }, (_, i) => -(i + 1)),
    pixels: new Uint8Array(count * n),
    root: new Int32Array(count),
    vowel: new Int32Array(count),
    consonant: new Int32Array(count),
  };
  for (let i = 0; i < count; i++) {
    const s = await synth.sample(i, size);
    ds.pixels.set(s.pixels, i * n);
    ds.root[i] = s.entry.root;
    ds.vowel[i] = s.entry.vowel;
    ds.consonant[i] = s.entry.consonant;
    if (i % 256 === 255) onProgress(i + 1);
  }
  onProgress(count);
  if (file) {
    const header = Buffer.from(key, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    const labels = Buffer.from(Int32Array.from([...ds.root, ...ds.vowel, ...ds.consonant]).buffer);
    // Two trainers may render the same pool at once (fine-tuning runs share one): each its own temporary file.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, gzipSync(Buffer.concat([length, header, labels, Buffer.from(ds.pixels.buffer)]), { level: 1 }));
    renameSync(tmp, file);
  }
  return ds;
}

function unpackPool(body: Buffer, count: number, size: number): Dataset {
  const labels = new Int32Array(body.buffer.slice(body.byteOffset, body.byteOffset + count * 12));
  return {
    size,
    ids: Int32Array.from({ length: count }, (_, i) => -(i + 1)),
    pixels: new Uint8Array(body.subarray(count * 12)),
    root: labels.slice(0, count),
    vowel: labels.slice(count, 2 * count),
    consonant: labels.slice(2 * count),
  };
}

/** Runs (or resumes) pretraining; returns how it ended. */
export async function pretrain(job: PretrainJob): Promise<'done' | 'stopped'> {
  const dir = pretrainCheckpoint(job.outDir);
  const resumeFrom: TrainState | null = job.resume ? readState(dir) : null;
  const config = resumeFrom?.config ?? job.config;
  mkdirSync(job.outDir, { recursive: true });
  const train = await renderPool(job.synth, job.pool, config.size, join(job.outDir, 'pool.bin.gz'), (done) =>
    job.report({ type: 'rendered', done, total: job.pool }),
  );
  const normalization = resumeFrom?.normalization ?? pixelStats(train.pixels);
  const log = new PretrainLog(join(job.outDir, 'pretrain.json'), job, config);
  return runTraining({
    config,
    train,
    val: job.val,
    engine: job.engine,
    checkpointDir: dir,
    resumeFrom,
    normalization,
    report: (m) => {
      if (m.type === 'epoch') log.epoch(m);
      job.report(m);
    },
    shouldStop: job.shouldStop,
  });
}

/** What the model card needs, kept beside the checkpoint and carried over a resume. */
class PretrainLog {
  private readonly data: {
    config: TrainConfig;
    pool: number;
    seed: number;
    fonts: { id: string; from: string; licence: string; sha256: string; family: string; weight: number }[];
    graphemes: { listed: number; composed: number };
    render: unknown;
    engine: EngineInfo;
    epochs: { epoch: number; trainLoss: number; seconds: number; imagesPerSec: number; zeroShot: unknown }[];
  };

  constructor(
    private readonly file: string,
    job: PretrainJob,
    config: TrainConfig,
  ) {
    const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PretrainLog['data']) : null;
    this.data = {
      config,
      pool: job.pool,
      seed: job.synth.seed,
      fonts: job.synth.fonts.map(({ id, from, licence, sha256, family, weight }) => ({
        id,
        from,
        licence,
        sha256,
        family,
        weight,
      })),
      graphemes: {
        listed: job.synth.entries.filter((e) => e.origin === 'list').length,
        composed: job.synth.entries.filter((e) => e.origin === 'composed').length,
      },
      render: job.synth.settings,
      engine: job.engine,
      epochs: previous?.epochs ?? [],
    };
  }

  epoch(m: EpochResult): void {
    this.data.epochs = this.data.epochs.filter((e) => e.epoch < m.epoch);
    this.data.epochs.push({
      epoch: m.epoch,
      trainLoss: m.trainLoss,
      seconds: m.seconds,
      imagesPerSec: m.imagesPerSec,
      zeroShot: m.val,
    });
    writeFileSync(this.file, JSON.stringify(this.data, null, 1));
  }
}

/** The starter set's real crops as a dataset (zero-shot validation), read from its labels.csv. */
export async function starterDataset(formsDir: string, size: number): Promise<Dataset> {
  const { decodeImage } = await import('../ingest/decode.js');
  const { preprocess } = await import('../ingest/preprocess.js');
  const lines = readFileSync(join(formsDir, 'labels.csv'), 'utf8').trim().split(/\r?\n/);
  const header = lines[0]!.split(',');
  const col = (name: string) => header.indexOf(name);
  const rows = lines.slice(1).map((l) => l.split(','));
  const n = size * size;
  const ds: Dataset = {
    size,
    ids: Int32Array.from(rows, (_, i) => i),
    pixels: new Uint8Array(rows.length * n),
    root: Int32Array.from(rows, (r) => Number(r[col('grapheme_root')])),
    vowel: Int32Array.from(rows, (r) => Number(r[col('vowel_diacritic')])),
    consonant: Int32Array.from(rows, (r) => Number(r[col('consonant_diacritic')])),
  };
  for (let i = 0; i < rows.length; i++) {
    const d = await decodeImage(readFileSync(join(formsDir, rows[i]![col('path')]!)));
    ds.pixels.set(preprocess(d.gray, d.width, d.height, size), i * n);
  }
  return ds;
}

/**
 * The model card of a shipped pretrained model: what it was trained on
 * (fonts with their sha256 and licences, grapheme counts, render settings),
 * how (seed, pool, epochs, engine, time), how it scores zero-shot on real
 * handwriting, and the command that reproduces it. Written as card.json and
 * MODEL_CARD.md beside the weights.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalMetrics } from '../contract/training.js';
import type { TrainState } from './checkpoint.js';

interface PretrainLogData {
  config: TrainState['config'];
  pool: number;
  seed: number;
  fonts: { id: string; from: string; licence: string; sha256: string; family: string; weight: number }[];
  graphemes: { listed: number; composed: number };
  render: Record<string, unknown>;
  engine: { engine: string; device: string };
  epochs: { epoch: number; trainLoss: number; seconds: number; imagesPerSec: number }[];
}

export interface CardInput {
  /** The pretraining output folder (pretrain.json, last/state.json). */
  outDir: string;
  shipDir: string;
  command: string;
  zeroShot: EvalMetrics;
  bytes: number;
  float32Bytes: number;
}

export function writePretrainedCard(c: CardInput): void {
  const log = JSON.parse(readFileSync(join(c.outDir, 'pretrain.json'), 'utf8')) as PretrainLogData;
  const state = JSON.parse(readFileSync(join(c.shipDir, 'state.json'), 'utf8')) as TrainState;
  const seconds = log.epochs.reduce((s, e) => s + e.seconds, 0);
  const images = state.epoch * log.pool + state.batchInEpoch * log.config.batch;
  const card = {
    arch: log.config.arch,
    size: log.config.size,
    trainedOn: 'rendered graphemes only (src-main/synth): no real handwriting',
    seed: log.seed,
    pool: log.pool,
    epochs: state.epoch,
    steps: state.step,
    imagesSeen: images,
    trainSeconds: Math.round(seconds),
    engine: log.engine,
    config: log.config,
    normalization: state.normalization,
    fonts: log.fonts,
    graphemes: log.graphemes,
    render: log.render,
    zeroShot: { on: 'all 405 starter images (resources/starter/bengaliai-forms)', ...c.zeroShot },
    weights: {
      bytes: c.bytes,
      float32Bytes: c.float32Bytes,
      storage: 'uint8 kernels (>= 4096 values), float16 the rest',
    },
    command: c.command,
  };
  writeFileSync(join(c.shipDir, 'card.json'), JSON.stringify(card, null, 1));
  const z = c.zeroShot;
  const md = [
    `# ${log.config.arch} ${log.config.size}x${log.config.size}, pretrained on rendered graphemes`,
    '',
    'Trained on renders only (no real handwriting); the weights a training run starts from by default',
    '(`init: auto` / `--init pretrained`).',
    '',
    `- Zero-shot on all 405 starter images: hierarchical recall **${z.hierarchicalRecall.toFixed(3)}**` +
      ` (root ${z.root.macroRecall.toFixed(3)}, vowel ${z.vowel.macroRecall.toFixed(3)}, consonant ${z.consonant.macroRecall.toFixed(3)})`,
    `- ${images.toLocaleString('en')} renders seen (${state.epoch} epoch(s) over a pool of ${log.pool.toLocaleString('en')}, ` +
      `batch ${log.config.batch}, Adam lr ${log.config.lr}, warm-up + cosine, loss weights ${log.config.lossWeights.join(':')}, seed ${log.seed})`,
    ...(state.epoch < log.config.epochs || state.batchInEpoch > 0
      ? [
          `- Stopped after epoch ${state.epoch} of ${log.config.epochs} (step ${state.step} of ${(log.config.epochs * log.pool) / log.config.batch}): the cosine schedule did not finish`,
        ]
      : []),
    `- ${Math.round(seconds / 60)} min of training on ${log.engine.engine} (${log.engine.device})`,
    `- Graphemes: ${log.graphemes.listed} from graphemes.csv + ${log.graphemes.composed} composed by rule`,
    `- Weights: ${(c.bytes / 2 ** 20).toFixed(1)} MiB (${card.weights.storage}; float32 ${(c.float32Bytes / 2 ** 20).toFixed(1)} MiB)`,
    `- Input normalization: mean ${state.normalization.mean.toFixed(4)}, std ${state.normalization.std.toFixed(4)} (ink bright, preprocess.ts)`,
    '',
    '## Fonts',
    '',
    '| font | from | licence | sha256 |',
    '| --- | --- | --- | --- |',
    ...log.fonts.map((f) => `| ${f.family} ${f.weight} | ${f.from} | ${f.licence} | \`${f.sha256}\` |`),
    '',
    '## Render settings',
    '',
    '```json',
    JSON.stringify(log.render, null, 1),
    '```',
    '',
    '## Reproduce',
    '',
    '```sh',
    c.command,
    '```',
    '',
  ].join('\n');
  writeFileSync(join(c.shipDir, 'MODEL_CARD.md'), md);
}

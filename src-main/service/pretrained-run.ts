/**
 * The shipped pretrained model as run 0 of a project: a finished run whose
 * checkpoint is a copy of resources/pretrained/<arch>-64, so suggestions,
 * least-confident-first ordering and suspects work with it exactly as with a
 * trained run, before any training. Every labeled image is in its validation
 * split (the model never saw real handwriting), kept up to date on each use.
 * Run ids of trained runs still start at 1 (SQLite takes max(id) + 1).
 */
import { cpSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PRETRAINED_RUN_ID, type PretrainedSource, type RunRecord } from '../contract/training.js';
import type { Project } from '../store/project.js';
import { readState } from '../train/checkpoint.js';
import { DEFAULT_CONFIG, resolveConfig } from '../train/config.js';
import { pretrainedDir } from './training/init-source.js';

/** The shipped model for the default network, else the small one; null when none is shipped. */
export function shippedModel(): { dir: string; arch: 'resnet34' | 'resnet18' } | null {
  for (const arch of [DEFAULT_CONFIG.arch, 'resnet18'] as const) {
    const dir = pretrainedDir(arch, 64);
    if (dir) return { dir, arch };
  }
  return null;
}

interface Card {
  trainedOn?: string;
  zeroShot?: { on?: string; hierarchicalRecall?: number; hierarchical_recall?: number };
  engine?: { engine?: string; device?: string };
}

function readCard(dir: string): Card {
  const file = join(dir, 'card.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Card) : {};
}

/** Run 0, created from the shipped weights on first use; null when the app ships no pretrained model. */
export function ensurePretrainedRun(project: Project): RunRecord | null {
  const runs = project.runs;
  const existing = runs.get(PRETRAINED_RUN_ID);
  if (existing) {
    runs.addLabeledToVal(PRETRAINED_RUN_ID);
    return runs.get(PRETRAINED_RUN_ID)!;
  }
  const shipped = shippedModel();
  if (!shipped || project.path === ':memory:') return null;
  const card = readCard(shipped.dir);
  const state = readState(shipped.dir);
  const config = resolveConfig({ ...state.config, arch: shipped.arch, size: 64, init: 'pretrained', holdout: null });
  const zero = card.zeroShot;
  const pretrained: PretrainedSource = {
    dir: shipped.dir,
    trainedOn: card.trainedOn ?? 'rendered graphemes',
    zeroShot: zero?.hierarchicalRecall ?? zero?.hierarchical_recall ?? null,
    zeroShotOn: zero?.on ?? null,
  };
  const target = project.runDir(PRETRAINED_RUN_ID).checkpoint;
  const staging = `${target}.copy`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(shipped.dir, staging, { recursive: true });
  try {
    project.db.transaction(() => {
      runs.createFinished(
        PRETRAINED_RUN_ID,
        config,
        { initFrom: 'pretrained', pretrained, epochsDone: 0, metrics: null },
        { engine: card.engine?.engine ?? 'tensorflow', checkpoint: target },
      );
      rmSync(target, { recursive: true, force: true });
      renameSync(staging, target);
    })();
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return runs.get(PRETRAINED_RUN_ID)!;
}

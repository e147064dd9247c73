/**
 * Where a run's first weights come from (`init` in the training config):
 * the pretrained model shipped in resources/pretrained, nothing (scratch), or
 * an earlier run's checkpoint. Resolved and checked on the service side,
 * from the JSON files alone (no tfjs), before any run record is written: a
 * model of another architecture, input size, width or head count is refused
 * with the field that differs, so a run never starts half-initialised.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLASS_COUNTS } from '../../contract/domain.js';
import { AppError } from '../../contract/envelope.js';
import type { TrainConfig } from '../../contract/training.js';
import { resourcesDir } from '../../shared/app-files.js';
import { checkpointPath } from '../../store/checkpoint-path.js';

/** The shipped pretrained model for an architecture and input size, if any (full width only). */
export function pretrainedDir(arch: TrainConfig['arch'], size: number): string | null {
  const dir = join(resourcesDir(), 'pretrained', `${arch}-${size}`);
  return checkpointPath(dir);
}

interface Layer {
  class_name: string;
  config: { name: string; filters?: number; units?: number; batch_input_shape?: (number | null)[] };
}

/** What a checkpoint's model.json says about its shape. */
export function describeModel(dir: string): { arch: string; size: number; baseWidth: number; heads: number[] } {
  const file = join(dir, 'model.json');
  let json: { modelTopology?: { config?: { name?: string; layers?: Layer[] } } };
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AppError('bad_input', `${file}: not a readable model (${(err as Error).message.split('\n')[0]})`);
  }
  const layers = json.modelTopology?.config?.layers ?? [];
  const byName = (n: string) => layers.find((l) => l.config.name === n);
  const input = layers.find((l) => l.class_name === 'InputLayer')?.config.batch_input_shape;
  const stem = byName('stem_conv')?.config.filters;
  const heads = ['root_logits', 'vowel_logits', 'consonant_logits'].map((n) => byName(n)?.config.units ?? -1);
  const arch = (json.modelTopology?.config?.name ?? '').replace(/_x3$/, '');
  if (!input || !stem || heads.includes(-1))
    throw new AppError('bad_input', `${file}: not a Grapheme Studio model (no input, stem_conv or three heads)`);
  return { arch, size: input[1] ?? -1, baseWidth: stem, heads };
}

/** Checks that the model in `dir` fits `config`; throws AppError naming `what` and the field. */
export function checkInitFits(dir: string, config: TrainConfig, what: string): void {
  const m = describeModel(dir);
  const want = [CLASS_COUNTS.root, CLASS_COUNTS.vowel, CLASS_COUNTS.consonant];
  const issues: { path: string; message: string }[] = [];
  if (m.arch !== config.arch) issues.push({ path: 'arch', message: `arch is ${m.arch}, the run's is ${config.arch}` });
  if (m.size !== config.size)
    issues.push({ path: 'size', message: `input size is ${m.size}, the run's is ${config.size}` });
  if (m.baseWidth !== config.baseWidth)
    issues.push({ path: 'baseWidth', message: `base width is ${m.baseWidth}, the run's is ${config.baseWidth}` });
  if (m.heads.some((h, i) => h !== want[i]))
    issues.push({ path: 'heads', message: `heads have ${m.heads.join('/')} classes, expected ${want.join('/')}` });
  if (issues.length)
    throw new AppError(
      'bad_input',
      `init ${what} (${dir}) does not fit this run: ${issues.map((i) => i.message).join('; ')}`,
      issues.map((i) => ({ path: `init.${i.path}`, message: i.message })),
    );
}

/**
 * The checkpoint folder a new run starts from, or null for scratch. `auto`
 * takes the shipped model where one fits (architecture, size, full width)
 * and otherwise starts from scratch; `pretrained` insists on it.
 */
export function resolveInit(config: TrainConfig, runCheckpoint: (runId: number) => string | null): string | null {
  const init = config.init;
  if (init === 'scratch') return null;
  if (init === 'auto' || init === 'pretrained') {
    const dir = config.baseWidth === 64 ? pretrainedDir(config.arch, config.size) : null;
    if (!dir) {
      if (init === 'auto') return null;
      throw new AppError(
        'bad_input',
        `init pretrained: no shipped weights for ${config.arch} at ${config.size}x${config.size} with base width ${config.baseWidth} ` +
          `(shipped: ${shippedList().join(', ') || 'none'})`,
        [{ path: 'init', message: 'no shipped weights for this architecture and size' }],
      );
    }
    checkInitFits(dir, config, 'pretrained');
    return dir;
  }
  const runId = Number(init.slice('run:'.length));
  const dir = runCheckpoint(runId);
  if (!dir)
    throw new AppError('bad_input', `init ${init}: run ${runId} has no checkpoint`, [
      { path: 'init', message: 'no checkpoint' },
    ]);
  checkInitFits(dir, config, init);
  return dir;
}

/**
 * The config a new run trains with: renders mixed into the batches keep what pretraining learned about
 * the roots that no label covers; a run from scratch has nothing to keep and trains on its labels
 * alone unless synthMix was asked for.
 */
export function recipeFor(config: TrainConfig, asked: Partial<TrainConfig>, initDir: string | null): TrainConfig {
  return initDir || asked.synthMix !== undefined ? config : { ...config, synthMix: 0 };
}

function shippedList(): string[] {
  const root = join(resourcesDir(), 'pretrained');
  if (!existsSync(root)) return [];
  return ['resnet34-64', 'resnet18-64', 'resnet34-128', 'resnet18-128'].filter((n) => checkpointPath(join(root, n)));
}

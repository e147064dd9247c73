/**
 * The images a run trains and validates on: the project's stratified split
 * (kept across runs; images without one are assigned now) or, with
 * `holdout`, every image whose source contains that text as validation.
 */
import { AppError } from '../../contract/envelope.js';
import type { SplitReport, TrainConfig } from '../../contract/training.js';
import type { RunStore } from '../../store/runs.js';
import { stratifiedSplit } from './split.js';

export function splitForRun(
  runs: RunStore,
  config: TrainConfig,
): { split: { train: number[]; val: number[] }; report: SplitReport } {
  const labeled = runs.labeledForSplit();
  if (labeled.length === 0)
    throw new AppError('bad_input', 'No labeled images: label some images (or import a label CSV) before training.');
  const perRoot = new Map<number, number>();
  for (const r of labeled) perRoot.set(r.root, (perRoot.get(r.root) ?? 0) + 1);
  const singletons = [...perRoot.values()].filter((n) => n === 1).length;
  if (config.holdout !== null) {
    const val = labeled.filter((r) => r.source.includes(config.holdout!)).map((r) => r.id);
    const train = labeled.filter((r) => !r.source.includes(config.holdout!)).map((r) => r.id);
    if (val.length === 0)
      throw new AppError('bad_input', `holdout "${config.holdout}" matches no labeled image's source`);
    if (train.length === 0) throw new AppError('bad_input', `holdout "${config.holdout}" leaves no image to train on`);
    const method = `holdout: validation = sources containing "${config.holdout}"`;
    return { split: { train, val }, report: { train: train.length, val: val.length, singletons, method } };
  }
  // The project's split is kept; only images that have none yet are assigned, stratified by root.
  const fresh = stratifiedSplit(
    labeled.filter((r) => r.split === null),
    config.valFraction,
    config.seed,
  );
  runs.assignProjectSplit(fresh);
  const freshSet = new Map<number, 'train' | 'val'>();
  for (const id of fresh.train) freshSet.set(id, 'train');
  for (const id of fresh.val) freshSet.set(id, 'val');
  const train: number[] = [];
  const val: number[] = [];
  for (const r of labeled) ((r.split ?? freshSet.get(r.id)) === 'val' ? val : train).push(r.id);
  const method = `stratified by root, ${Math.round(config.valFraction * 100)}% validation (project split)`;
  return { split: { train, val }, report: { train: train.length, val: val.length, singletons, method } };
}

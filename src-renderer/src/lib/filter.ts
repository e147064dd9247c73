/** The image filter shared by the queue and the Browse view, and its form in the URL. */
import { COMPONENTS, LABEL_STATES, SPLITS, type Component, type LabelState, type Split } from '$contract/domain';
import type { Input } from '$contract/calls';

/**
 * The filter of images.ids (images.page without its paging fields): `run` with `pred` or
 * `order` reads a trained run's predictions (confusion drill-down, uncertainty order), see runs.score.
 */
export type ImageFilter = Input<'images.ids'>;

const NUMERIC = ['root', 'vowel', 'consonant'] as const;

export function filterFromParams(p: URLSearchParams): ImageFilter {
  const f: ImageFilter = {};
  const state = p.get('state');
  if (state && (LABEL_STATES as readonly string[]).includes(state)) f.state = state as LabelState;
  for (const k of NUMERIC) {
    const v = p.get(k);
    if (v !== null && /^\d+$/.test(v)) f[k] = Number(v);
  }
  const annotator = p.get('annotator');
  if (annotator) f.annotator = annotator;
  const split = p.get('split');
  if (split && (SPLITS as readonly string[]).includes(split)) f.split = split as Split;
  const run = p.get('run');
  if (run && /^\d+$/.test(run)) {
    f.run = Number(run);
    const pred = /^(\w+):(\d+)$/.exec(p.get('pred') ?? '');
    if (pred && (COMPONENTS as readonly string[]).includes(pred[1]!))
      f.pred = { component: pred[1] as Component, cls: Number(pred[2]) };
    if (p.get('order') === 'uncertainty') f.order = 'uncertainty';
  }
  return f;
}

export function filterToParams(f: ImageFilter): Record<string, string | number | undefined> {
  return {
    state: f.state,
    root: f.root,
    vowel: f.vowel,
    consonant: f.consonant,
    annotator: f.annotator,
    split: f.split,
    run: f.run,
    pred: f.pred ? `${f.pred.component}:${f.pred.cls}` : undefined,
    order: f.order,
  };
}

export function sameFilter(a: ImageFilter, b: ImageFilter): boolean {
  return JSON.stringify(filterToParams(a)) === JSON.stringify(filterToParams(b));
}

export function describeFilter(f: ImageFilter): string {
  const parts: string[] = [];
  if (f.state) parts.push(f.state);
  if (f.root !== undefined) parts.push(`root ${f.root}`);
  if (f.vowel !== undefined) parts.push(`vowel ${f.vowel}`);
  if (f.consonant !== undefined) parts.push(`consonant ${f.consonant}`);
  if (f.annotator) parts.push(`by ${f.annotator}`);
  if (f.split) parts.push(`${f.split} split`);
  if (f.pred) parts.push(`run ${f.run} predicted ${f.pred.component} ${f.pred.cls}`);
  if (f.order === 'uncertainty') parts.push(`least confident first (run ${f.run})`);
  return parts.length ? parts.join(', ') : 'all images';
}

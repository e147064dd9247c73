/**
 * What to render: the graphemes of resources/graphemes.csv (rendered from their
 * own strings, labeled with their ids) plus rule-composed extras, so that every
 * consonant root appears with each vowel sign and with none / ঁ / reph /
 * ya-phala / ra-phala. Every string passes through `renderable`, which fixes
 * the shaping traps of DESIGN.md §4.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLASS_COUNTS, type Taxonomy } from '../contract/domain.js';
import { composeGrapheme } from '../contract/grapheme.js';
import { resourcesDir } from '../shared/app-files.js';

export interface GraphemeEntry {
  text: string;
  root: number;
  vowel: number;
  consonant: number;
  /** 'list' = a row of graphemes.csv; 'composed' = made from the ids by rule. */
  origin: 'list' | 'composed';
}

/** A grapheme list that cannot be used; the message names the file, row and field. */
export class GraphemeListError extends Error {}

const ZWJ = '\u200d';
const NBSP = '\u00a0';
const RA_ROOT = 'র';
const YA_PHALA = 4;

/**
 * The string to hand to the shaper for a grapheme with these ids: NFC; র with
 * ya-phala gets a zero-width joiner (else it shapes as reph over য); a
 * grapheme that starts with a combining sign (ং, ঃ, ঁ alone) gets a carrier
 * (else the shaper draws a dotted circle).
 */
export function renderable(text: string, rootGlyph: string, consonant: number): string {
  let s = text.normalize('NFC');
  if (rootGlyph === RA_ROOT && consonant === YA_PHALA && s.startsWith('র্য')) s = RA_ROOT + ZWJ + s.slice(1);
  if (/^[\u0981-\u0983]/u.test(s)) s = NBSP + s;
  return s;
}

/** Reads graphemes.csv; throws GraphemeListError naming the row and field of the first problem. */
export function readGraphemeList(taxonomy: Taxonomy, file = join(resourcesDir(), 'graphemes.csv')): GraphemeEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new GraphemeListError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  const header = lines[0]?.split(',') ?? [];
  const want = ['grapheme', 'grapheme_root', 'vowel_diacritic', 'consonant_diacritic'];
  if (want.some((w, i) => header[i]?.trim() !== w))
    throw new GraphemeListError(`${file}: row 1 (header) must start with ${want.join(',')}`);
  const out: GraphemeEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const f = line.split(',');
    const where = `${file}: row ${i + 1}`;
    if (f.length < 4) throw new GraphemeListError(`${where}: expected at least 4 fields, got ${f.length}`);
    const grapheme = f[0]!.trim();
    if (!grapheme) throw new GraphemeListError(`${where}: field grapheme is empty`);
    const ids = [1, 2, 3].map((k) => {
      const name = want[k]!;
      const max = [CLASS_COUNTS.root, CLASS_COUNTS.vowel, CLASS_COUNTS.consonant][k - 1]!;
      const raw = f[k]!.trim();
      const v = Number(raw);
      if (!/^\d+$/.test(raw) || v >= max)
        throw new GraphemeListError(
          `${where}: field ${name} must be a class id in 0..${max - 1}, got ${JSON.stringify(raw)}`,
        );
      return v;
    });
    const [root, vowel, consonant] = ids as [number, number, number];
    const glyph = taxonomy.root[root]?.glyph ?? '';
    out.push({ text: renderable(grapheme, glyph, consonant), root, vowel, consonant, origin: 'list' });
  }
  if (out.length === 0) throw new GraphemeListError(`${file}: no graphemes`);
  return out;
}

/** Roots that take vowel signs and diacritics: those that start with a consonant letter. */
export const takesSigns = (glyph: string) => /^[\u0995-\u09b9\u09dc-\u09df]/u.test(glyph);

/** Consonant diacritics the extras add to every consonant root (3 and 6 do not occur in the list). */
const EXTRA_CONSONANTS = [1, 2, 4, 5];

/**
 * The list plus, for each consonant root, every vowel sign alone and each of
 * none / ঁ / reph / ya-phala / ra-phala alone, where the list lacks that triple.
 */
export function renderSet(taxonomy: Taxonomy, list: readonly GraphemeEntry[]): GraphemeEntry[] {
  const have = new Set(list.map((g) => `${g.root},${g.vowel},${g.consonant}`));
  const out = [...list];
  const add = (root: number, vowel: number, consonant: number) => {
    const key = `${root},${vowel},${consonant}`;
    if (have.has(key)) return;
    have.add(key);
    const glyph = taxonomy.root[root]!.glyph;
    const text = renderable(composeGrapheme(taxonomy, root, vowel, consonant), glyph, consonant);
    out.push({ text, root, vowel, consonant, origin: 'composed' });
  };
  for (const r of taxonomy.root) {
    if (!takesSigns(r.glyph)) continue;
    for (const v of taxonomy.vowel) add(r.id, v.id, 0);
    for (const c of EXTRA_CONSONANTS) add(r.id, 0, c);
  }
  return out;
}

/** Entries grouped by root, for root-balanced sampling (roots absent from the set get none). */
export function byRoot(entries: readonly GraphemeEntry[]): GraphemeEntry[][] {
  const groups: GraphemeEntry[][] = Array.from({ length: CLASS_COUNTS.root }, () => []);
  for (const e of entries) groups[e.root]!.push(e);
  return groups;
}

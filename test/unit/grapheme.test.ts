import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeGrapheme, displayGlyph } from '../../src-main/contract/grapheme.js';
import { readClassMap } from '../../src-main/store/taxonomy.js';
import { resourcesDir } from '../../src-main/shared/app-files.js';

// The 16 graphemes of the collection forms that carry two consonant diacritics (reph or
// ra-phala plus ya-phala or ra-phala) while their label names one: no triple composes them.
const TWO_CONSONANT_DIACRITICS = [
  'গ্র্যা',
  'র্ত্রী',
  'র্দ্র',
  'র্থ্য',
  'র্ব্য',
  'ত্র্য',
  'র্জ্য',
  'র্ত্রে',
  'ট্র্যা',
  'র্ঘ্য',
  'ব্র্যা',
  'প্র্যা',
  'ক্র্যা',
  'ফ্র্যা',
  'স্ট্র্যা',
  'দ্র্য',
];

// One row labels র + ya-phala + ো (123, 9, 4) but writes it without the joiner, so its text is
// the same as reph over য + ো (122, 9, 2); every other র + ya-phala row writes the joiner.
const SOURCE_WITHOUT_JOINER = 'র্যো';

function readGraphemes(): { grapheme: string; root: number; vowel: number; consonant: number }[] {
  const [header, ...rows] = readFileSync(join(resourcesDir(), 'graphemes.csv'), 'utf8').trim().split('\n');
  expect(header).toBe('grapheme,grapheme_root,vowel_diacritic,consonant_diacritic,root_text,vowel_text,consonant_text');
  return rows.map((row) => {
    const [grapheme, root, vowel, consonant] = row.split(',');
    return {
      grapheme: grapheme!.normalize('NFC'),
      root: Number(root),
      vowel: Number(vowel),
      consonant: Number(consonant),
    };
  });
}

describe('composeGrapheme against the collection forms', () => {
  const taxonomy = readClassMap();
  const graphemes = readGraphemes();

  it('reproduces every grapheme of graphemes.csv after NFC, except the listed two-diacritic ones', () => {
    expect(graphemes).toHaveLength(1295);
    const mismatched = graphemes
      .filter((g) => composeGrapheme(taxonomy, g.root, g.vowel, g.consonant).normalize('NFC') !== g.grapheme)
      .map((g) => g.grapheme);
    const exceptions = [...TWO_CONSONANT_DIACRITICS, SOURCE_WITHOUT_JOINER].map((g) => g.normalize('NFC'));
    expect(mismatched.sort()).toEqual(exceptions.sort());
    expect(composeGrapheme(taxonomy, 122, 9, 2)).toBe(SOURCE_WITHOUT_JOINER);
    expect(composeGrapheme(taxonomy, 123, 9, 4)).toBe('র\u200D্যো');
  });

  it('joins র and ya-phala with a zero-width joiner, so it is not read as reph over য', () => {
    expect(composeGrapheme(taxonomy, 123, 1, 4)).toBe('র\u200D্যা');
    expect(composeGrapheme(taxonomy, 107, 0, 4)).toBe('ব্য');
  });
});

describe('displayGlyph', () => {
  it('gives a lone mark a no-break space as its carrier and leaves letters alone', () => {
    expect(displayGlyph('ং')).toBe('\u00A0ং');
    expect(displayGlyph('ঃ')).toBe('\u00A0ঃ');
    expect(displayGlyph('ি')).toBe('\u00A0ি');
    expect(displayGlyph('্য')).toBe('\u00A0্য');
    expect(displayGlyph('ক')).toBe('ক');
    expect(displayGlyph('র্')).toBe('র্');
    expect(displayGlyph('')).toBe('');
  });
});

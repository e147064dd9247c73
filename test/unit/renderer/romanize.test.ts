/** Picker search: every class findable by id, glyph and a romanized name, best match first. */
import { describe, expect, it } from 'vitest';
import { COMPONENTS, type Component } from '../../../src-main/contract/domain.js';
import { readClassMap } from '../../../src-main/store/taxonomy.js';
import { displayName, matchScore, searchKeys } from '../../../src-renderer/src/lib/romanize.js';

const taxonomy = readClassMap();

function best(component: Component, query: string): string {
  const scored = taxonomy[component]
    .map((k) => ({ k, s: matchScore(query, k, searchKeys(component, k)) }))
    .filter((x): x is { k: (typeof x)['k']; s: number } => x.s !== null)
    .sort((a, b) => a.s - b.s || a.k.id - b.k.id);
  return scored.map((x) => x.k.glyph || String(x.k.id))[0] ?? '(none)';
}

describe('romanized picker search', () => {
  it('gives every class of every component a name', () => {
    for (const c of COMPONENTS) {
      for (const k of taxonomy[c]) expect(displayName(c, k), `${c} ${k.id} ${k.glyph}`).not.toBe('');
    }
  });

  it('finds roots by sound, conjuncts included', () => {
    expect(best('root', 'ka')).toBe('ক');
    expect(best('root', 'kha')).toBe('খ');
    expect(best('root', 'gha')).toBe('ঘ');
    expect(best('root', 'ksha')).toBe('ক্ষ');
    expect(best('root', 'ksh')).toBe('ক্ষ');
    expect(best('root', 'nda')).toBe('ন্দ');
    expect(best('root', 'stha')).toBe('স্থ');
    expect(best('root', 'khandata')).toBe('ৎ');
    expect(best('root', 'rra')).toBe('\u09a1\u09bc');
  });

  it('shows the usual name of a class', () => {
    const name = (glyph: string) =>
      displayName(
        'root',
        taxonomy.root.find((k) => k.glyph === glyph)!,
      );
    expect(name('ক্ষ')).toBe('ksha');
    expect(name('ক')).toBe('ka');
    expect(name('ন্দ')).toBe('nda');
  });

  it('gives every class a name of its own: typed as shown, it finds that class first', () => {
    for (const c of COMPONENTS) {
      const byName = new Map<string, string[]>();
      for (const k of taxonomy[c]) {
        const n = displayName(c, k);
        byName.set(n, [...(byName.get(n) ?? []), k.glyph || String(k.id)]);
      }
      const shared = [...byName].filter(([, glyphs]) => glyphs.length > 1);
      expect(shared, `${c} names shared by several classes`).toEqual([]);
      for (const k of taxonomy[c]) expect(best(c, displayName(c, k)), displayName(c, k)).toBe(k.glyph || String(k.id));
    }
  });

  it('tells apart the letters the issue found sharing a name, in the ITRANS/Avro way', () => {
    const name = (glyph: string) =>
      displayName(
        'root',
        taxonomy.root.find((k) => k.glyph === glyph)!,
      );
    const pairs = [
      ['শ', 'ষ'],
      ['ট', 'ত্ত'],
      ['ড', 'দ্দ'],
      ['ঢ', 'দ্ধ'],
      ['র', 'ড়'],
      ['য', 'য়'],
      ['শ্ম', 'ষ্ম'],
    ];
    for (const [a, b] of pairs) expect(name(a!), `${a} vs ${b}`).not.toBe(name(b!));
    expect([name('শ'), name('ষ'), name('স')]).toEqual(['sha', 'Sha', 'sa']);
    expect([name('ট'), name('ত'), name('ত্ত')]).toEqual(['Ta', 'ta', 'tta']);
    expect([name('র'), name('ড়'), name('য'), name('য়')]).toEqual(['ra', 'Ra', 'ya', 'Ya']);
    // Lower case still finds them; the exact case ranks first.
    expect(best('root', 'Sha')).toBe('ষ');
    expect(best('root', 'sha')).toBe('শ');
    expect(best('root', 'Ta')).toBe('ট');
    expect(best('root', 'tta')).toBe('ত্ত');
  });

  it('finds diacritics by their names', () => {
    expect(best('vowel', 'i-kar')).toBe('ি');
    expect(best('vowel', 'ikar')).toBe('ি');
    expect(best('vowel', 'dirgho i-kar')).toBe('ী');
    expect(best('vowel', 'none')).toBe('0');
    expect(best('consonant', 'reph')).toBe('র্');
    expect(best('consonant', 'ya-phala')).toBe('্য');
    expect(best('consonant', 'ra-phala')).toBe('্র');
    expect(best('consonant', 'candrabindu')).toBe('ঁ');
  });

  it('puts an exact id first and matches nothing for an id that does not exist', () => {
    expect(best('root', '13')).toBe('ক');
    expect(best('root', '1')).toBe('ঃ');
    expect(best('root', '999')).toBe('(none)');
    expect(best('vowel', '11')).toBe('(none)');
  });

  it('finds a class by its glyph', () => {
    expect(best('root', 'ক্ষ')).toBe('ক্ষ');
    expect(best('vowel', 'ো')).toBe('ো');
  });
});

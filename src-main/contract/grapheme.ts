/** Pure grapheme composition, shared by the service (export) and the renderer (preview). */
import type { Taxonomy } from './domain.js';

const RA = 'র';
// Without a zero-width joiner, র + virama + য shapes as reph over য (র্য) instead of র with
// ya-phala (র‍্য); the collection forms write the joiner.
const YA_PHALA_AFTER_RA = '\u200D্য';
const YA_PHALA = '্য';

/**
 * The grapheme the three components write, in Bengali order: reph (র্)
 * before the root, ya-/ra-phala right after it, then the vowel sign, then
 * candrabindu. It reproduces resources/graphemes.csv (after NFC) except the
 * graphemes that carry two consonant diacritics but are labeled with one.
 */
export function composeGrapheme(taxonomy: Taxonomy, root: number, vowel: number, consonant: number): string {
  const r = taxonomy.root[root]?.glyph ?? '';
  const v = taxonomy.vowel[vowel]?.glyph ?? '';
  const ya = r.endsWith(RA) ? YA_PHALA_AFTER_RA : YA_PHALA;
  switch (consonant) {
    case 1:
      return r + v + 'ঁ';
    case 2:
      return 'র্' + r + v;
    case 3:
      return 'র্' + r + ya + v;
    case 4:
      return r + ya + v;
    case 5:
      return r + '্র' + v;
    case 6:
      return r + '্র' + YA_PHALA + v;
    default:
      return r + v;
  }
}

const LEADING_MARK = /^\p{M}/u;

/**
 * Text for showing a glyph on its own (picker, preview, captions): a string
 * that begins with a combining mark (ং, ঃ, a vowel sign, ্য) gets a no-break
 * space as its base, which shapers accept as a carrier, so no dotted circle
 * is drawn. Not for stored or exported text.
 */
export function displayGlyph(text: string): string {
  return LEADING_MARK.test(text) ? '\u00A0' + text : text;
}

/** Pure grapheme composition, shared by the service (export) and the renderer (preview). */
import type { Taxonomy } from './domain.js';

/**
 * The grapheme the three components write, in Bengali order: reph (র্)
 * before the root, ya-/ra-phala right after it, then the vowel sign, then
 * candrabindu.
 */
export function composeGrapheme(taxonomy: Taxonomy, root: number, vowel: number, consonant: number): string {
  const r = taxonomy.root[root]?.glyph ?? '';
  const v = taxonomy.vowel[vowel]?.glyph ?? '';
  switch (consonant) {
    case 1:
      return r + v + 'ঁ';
    case 2:
      return 'র্' + r + v;
    case 3:
      return 'র্' + r + '্য' + v;
    case 4:
      return r + '্য' + v;
    case 5:
      return r + '্র' + v;
    case 6:
      return r + '্র্য' + v;
    default:
      return r + v;
  }
}

/**
 * Romanized names for Bengali classes, so an annotator can find a class by
 * typing what they hear ("ka", "ksha", "i-kar") instead of hunting a glyph.
 * Pure functions: the pickers index every class once with `searchKeys` and
 * rank matches with `matchScore`.
 */
import type { Component, TaxonomyClass } from '$contract/domain';

/**
 * Consonants without their inherent vowel; alternatives after the first. Retroflex
 * letters double theirs (tt, dd, nn) so that "nda" finds ন্দ before ণ্ড.
 */
const CONSONANTS: Record<string, string[]> = {
  ক: ['k'],
  খ: ['kh'],
  গ: ['g'],
  ঘ: ['gh'],
  ঙ: ['ng', 'ung'],
  চ: ['c', 'ch'],
  ছ: ['ch', 'chh'],
  জ: ['j'],
  ঝ: ['jh'],
  ঞ: ['ny', 'n'],
  ট: ['tt', 't'],
  ঠ: ['tth', 'th'],
  ড: ['dd', 'd'],
  ঢ: ['ddh', 'dh'],
  ণ: ['nn', 'n'],
  ত: ['t'],
  থ: ['th'],
  দ: ['d'],
  ধ: ['dh'],
  ন: ['n'],
  প: ['p'],
  ফ: ['ph', 'f'],
  ব: ['b', 'v'],
  ভ: ['bh', 'v'],
  ম: ['m'],
  য: ['y', 'j'],
  র: ['r'],
  ল: ['l'],
  শ: ['sh', 's'],
  ষ: ['sh', 'ss'],
  স: ['s'],
  হ: ['h'],
  '\u09dc': ['r', 'rr'],
  '\u09dd': ['rh'],
  '\u09df': ['y'],
};

/** Stand-alone letters and signs that are roots on their own. */
const STANDALONE: Record<string, string[]> = {
  অ: ['a', 'o'],
  আ: ['aa', 'a'],
  ই: ['i'],
  ঈ: ['ii', 'i'],
  উ: ['u'],
  ঊ: ['uu', 'u'],
  ঋ: ['ri', 'ree'],
  এ: ['e'],
  ঐ: ['oi', 'ai'],
  ও: ['o'],
  ঔ: ['ou', 'au'],
  'ং': ['ng', 'anusvara', 'anusvar'],
  'ঃ': ['h', 'visarga', 'bisarga'],
  ৎ: ['t', 'khanda ta', 'khandata'],
};

/** Vowel diacritics by id: the sound, then the sign's name. */
const VOWEL_NAMES: string[][] = [
  ['none', '0'],
  ['a-kar', 'aa-kar', 'a', 'aa'],
  ['i-kar', 'hrosho i-kar', 'i'],
  ['ii-kar', 'dirgho i-kar', 'ii', 'ee'],
  ['u-kar', 'hrosho u-kar', 'u'],
  ['uu-kar', 'dirgho u-kar', 'uu', 'oo'],
  ['ri-kar', 'ri'],
  ['e-kar', 'e'],
  ['oi-kar', 'ai-kar', 'oi', 'ai'],
  ['o-kar', 'o'],
  ['ou-kar', 'au-kar', 'ou', 'au'],
];

/** Consonant diacritics by id. */
const CONSONANT_NAMES: string[][] = [
  ['none', '0'],
  ['candrabindu', 'chandrabindu', 'nasal'],
  ['reph', 'ref', 'r'],
  ['reph ya-phala', 'ref jo-phola', 'ry'],
  ['ya-phala', 'jo-phola', 'y'],
  ['ra-phala', 'ro-phola', 'r'],
  ['ra-phala ya-phala', 'ro-phola jo-phola', 'ry'],
];

const VIRAMA = '্';
const NUKTA_FORMS: Record<string, string> = {
  '\u09a1\u09bc': '\u09dc',
  '\u09a2\u09bc': '\u09dd',
  '\u09af\u09bc': '\u09df',
};

/** Romanizations of a root glyph: conjuncts join their consonants ("ksha"), the last keeps its "a". */
export function romanizeRoot(glyph: string): string[] {
  const standalone = STANDALONE[glyph];
  if (standalone) return standalone;
  // NFC keeps ড়, ঢ়, য় decomposed (letter + nukta, a composition exclusion): fold them into one letter.
  const folded = glyph.normalize('NFC').replace(/[\u09a1\u09a2\u09af]\u09bc/g, (m) => NUKTA_FORMS[m] ?? m);
  const letters = [...folded].filter((ch) => ch !== VIRAMA);
  const choices = letters.map((ch) => CONSONANTS[ch] ?? STANDALONE[ch] ?? []);
  if (choices.some((c) => c.length === 0)) return [];
  let out = [''];
  for (const options of choices) {
    const grown: string[] = [];
    for (const prefix of out) for (const o of options) grown.push(prefix + o);
    out = grown.slice(0, 16);
  }
  const withVowel = out.map((s) => s + 'a');
  return [...new Set([...withVowel, ...out])];
}

/** The main name shown beside a class, e.g. "ksha", "i-kar", "reph". */
export function displayName(component: Component, k: TaxonomyClass): string {
  if (component === 'vowel') return VOWEL_NAMES[k.id]?.[0] ?? '';
  if (component === 'consonant') return CONSONANT_NAMES[k.id]?.[0] ?? '';
  return romanizeRoot(k.glyph)[0] ?? '';
}

/** Every string a class can be found by, normalized. */
export function searchKeys(component: Component, k: TaxonomyClass): string[] {
  const names =
    component === 'vowel'
      ? (VOWEL_NAMES[k.id] ?? [])
      : component === 'consonant'
        ? (CONSONANT_NAMES[k.id] ?? [])
        : romanizeRoot(k.glyph);
  return names.map(normalize);
}

export function normalize(text: string): string {
  return text
    .normalize('NFC')
    .toLowerCase()
    .replace(/[\s_-]+/g, '');
}

/**
 * How well a query matches a class: lower is better, null is no match.
 * An exact id wins, then an exact glyph or name, then prefixes of names.
 */
export function matchScore(query: string, k: TaxonomyClass, keys: string[]): number | null {
  const q = normalize(query);
  if (q === '') return 100 + k.id;
  if (/^\d+$/.test(q)) {
    if (String(k.id) === q) return 0;
    return String(k.id).startsWith(q) ? 10 + k.id : null;
  }
  if (k.glyph !== '' && k.glyph === query.normalize('NFC').trim()) return 1;
  let best: number | null = null;
  keys.forEach((key, i) => {
    let s: number | null = null;
    if (key === q) s = 2 + i * 0.1;
    else if (key.startsWith(q)) s = 20 + (key.length - q.length) + i * 0.1;
    if (s !== null && (best === null || s < best)) best = s;
  });
  if (best === null && k.glyph !== '' && k.glyph.includes(query.trim())) best = 50;
  return best;
}

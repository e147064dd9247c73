/**
 * Decoding the three heads into one grapheme. Independent arg-max can pair a
 * root with a vowel sign or diacritic it never takes; "valid" decoding picks
 * the root / vowel / consonant triple of highest joint probability among the
 * combinations a grapheme list allows, unless the independent pick beats it by
 * more than `margin` (a factor of joint probability), so a grapheme outside the
 * list can still win when the network is sure of it.
 */
import { CLASS_COUNTS } from '../contract/domain.js';

export interface Triple {
  root: number;
  vowel: number;
  consonant: number;
}

const R = CLASS_COUNTS.root;
const V = CLASS_COUNTS.vowel;
const C = CLASS_COUNTS.consonant;

/** The distinct triples of a list of labeled graphemes. */
export function tripleSet(entries: readonly Triple[]): Triple[] {
  const seen = new Map<number, Triple>();
  for (const e of entries) seen.set((e.root * V + e.vowel) * C + e.consonant, e);
  return [...seen.values()];
}

function argmax(p: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (p[from + i]! > p[from + best]!) best = i;
  return best;
}

/** Each head's own arg-max (what the trainer's metrics score). */
export function decodeFree(probs: ArrayLike<number>): Triple {
  return { root: argmax(probs, 0, R), vowel: argmax(probs, R, V), consonant: argmax(probs, R + V, C) };
}

/**
 * One image's probabilities (root 168, vowel 11, consonant 7, concatenated) to a triple. `margin`
 * Infinity: always a listed triple; 1: a listed one only when it is at least as likely as the free one.
 */
export function decodeValid(probs: ArrayLike<number>, triples: readonly Triple[], margin = Infinity): Triple {
  const free = decodeFree(probs);
  const joint = (t: Triple) => probs[t.root]! * probs[R + t.vowel]! * probs[R + V + t.consonant]!;
  let best = triples[0] ?? free;
  let bestP = -1;
  for (const t of triples) {
    const p = joint(t);
    if (p > bestP) {
      best = t;
      bestP = p;
    }
  }
  return joint(free) > bestP * margin ? free : best;
}

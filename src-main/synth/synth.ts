/**
 * The renderer as one object: the fonts (checked), the grapheme set, and
 * `sample(i)`, a labeled render that depends only on (seed, i), so a
 * pretraining run that stops at step k resumes with the very same images.
 */
import type { Taxonomy } from '../contract/domain.js';
import { rng } from '../shared/random.js';
import { fontSpecs, openFont, type Font, type FontSpec } from './fonts.js';
import { byRoot, readGraphemeList, renderSet, type GraphemeEntry } from './graphemes.js';
import { verifyFonts } from './render.js';
import { DEFAULT_RENDER, renderSample, type RenderSettings } from './variation.js';

export interface SynthOptions {
  taxonomy: Taxonomy;
  /** graphemes.csv to read (default: resources/graphemes.csv). */
  graphemes?: string;
  /** Font files to use instead of the catalogue (each checked the same way). */
  fontFiles?: string[];
  /** Also use Debian's Bengali fonts where installed (pretraining machines). */
  systemFonts?: boolean;
  /** Add rule-composed graphemes (every consonant root with each vowel and diacritic). */
  composed?: boolean;
  settings?: RenderSettings;
  seed?: number;
}

export interface Sample {
  pixels: Uint8Array;
  entry: GraphemeEntry;
  font: Font;
}

export class Synth {
  private constructor(
    readonly fonts: Font[],
    readonly entries: GraphemeEntry[],
    private readonly groups: GraphemeEntry[][],
    readonly settings: RenderSettings,
    readonly seed: number,
  ) {}

  /** Reads and checks everything up front; throws FontFileError or GraphemeListError naming the file. */
  static async open(o: SynthOptions): Promise<Synth> {
    const list = readGraphemeList(o.taxonomy, o.graphemes);
    const entries = o.composed === false ? list : renderSet(o.taxonomy, list);
    const specs: FontSpec[] = o.fontFiles
      ? o.fontFiles.map((f) => ({ id: f.split(/[\\/]/).pop()!, from: 'file', licence: 'unknown', source: f }))
      : fontSpecs({ system: o.systemFonts });
    if (specs.length === 0) throw new Error('no Bengali fonts found to render with');
    const fonts = specs.map((s) => openFont(s));
    await verifyFonts(fonts);
    const groups = byRoot(entries).filter((g) => g.length > 0);
    return new Synth(fonts, entries, groups, o.settings ?? DEFAULT_RENDER, o.seed ?? 1);
  }

  /**
   * Render number `i`: a root drawn uniformly (every root as often as any
   * other), one of its graphemes, one font, and the variation, all from (seed, i).
   */
  async sample(i: number, size: number): Promise<Sample> {
    const random = rng(Math.imul(this.seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b));
    const group = this.groups[Math.floor(random() * this.groups.length)]!;
    const entry = group[Math.floor(random() * group.length)]!;
    const font = this.fonts[Math.floor(random() * this.fonts.length)]!;
    return { pixels: await renderSample(entry.text, font, random, size, this.settings), entry, font };
  }

  /** One fixed entry in one font (contact sheets, tests). */
  async render(entry: GraphemeEntry, font: Font, size: number, variant = 0): Promise<Uint8Array> {
    return renderSample(entry.text, font, rng(this.seed * 31 + variant), size, this.settings);
  }
}

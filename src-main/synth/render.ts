/**
 * Shaping: one grapheme string in one font, through sharp's Pango/HarfBuzz,
 * as an ink-bright grayscale bitmap. Also the check that a font is really the
 * one drawn (fontconfig falls back to another font without a word).
 */
import sharp from 'sharp';
import { FontFileError, type Font } from './fonts.js';

export interface Glyphs {
  /** Ink bright (255 = full ink), row-major. */
  ink: Uint8Array;
  width: number;
  height: number;
}

const escapeMarkup = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Renders `text` at about `px` pixels per em. */
export async function shape(text: string, font: Pick<Font, 'file' | 'pango'>, px: number): Promise<Glyphs> {
  const { data, info } = await sharp({
    text: { text: escapeMarkup(text), font: `${font.pango} ${Math.round(px)}`, fontfile: font.file, dpi: 72 },
  })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { ink: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** A probe that exercises conjuncts, vowel signs and reph: fonts differ visibly on it. */
export const PROBE = 'ক্ষ্মী র্কো ঙ্গৌ';
const sameBitmap = (a: Glyphs, b: Glyphs) =>
  a.width === b.width && a.height === b.height && Buffer.compare(Buffer.from(a.ink), Buffer.from(b.ink)) === 0;

/** The description with `other` as a second family: drawn only if the first family does not resolve. */
const withFallback = (font: Font, other: Font) => {
  const [families, style] = font.pango.split(',');
  return { file: font.file, pango: `${families}, ${other.family},${style ?? ''}` };
};

/**
 * Checks that every font is really the one drawn, and throws FontFileError
 * naming the file otherwise: each must render ink, differ from every other
 * font, and render the same when another family is named as its fallback
 * (if its family did not resolve, that other family would be drawn instead;
 * comparing with fontconfig's own fallback cannot tell, since that fallback
 * may be one of these very fonts).
 */
export async function verifyFonts(fonts: readonly Font[]): Promise<void> {
  const renders: Glyphs[] = [];
  for (const f of fonts) renders.push(await shape(PROBE, f, 40));
  for (let i = 0; i < fonts.length; i++) {
    if (renders[i]!.ink.every((v) => v === 0))
      throw new FontFileError(`${fonts[i]!.source}: renders no ink for Bengali text`);
    const same = fonts.findIndex((_, j) => j < i && sameBitmap(renders[i]!, renders[j]!));
    if (same >= 0)
      throw new FontFileError(
        `${fonts[i]!.source}: renders exactly like ${fonts[same]!.source}; family "${fonts[i]!.pango}" did not resolve to its own file`,
      );
    const other = fonts.find((f) => f.family !== fonts[i]!.family);
    if (!other) continue;
    if (!sameBitmap(renders[i]!, await shape(PROBE, withFallback(fonts[i]!, other), 40)))
      throw new FontFileError(
        `${fonts[i]!.source}: fontconfig does not draw it for family "${fonts[i]!.pango}" (it fell back to another font)`,
      );
  }
}

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClassMap } from '../../../src-main/store/taxonomy.js';
import { fontSpecs, openFont, FontFileError } from '../../../src-main/synth/fonts.js';
import {
  GraphemeListError,
  readGraphemeList,
  renderSet,
  renderable,
  takesSigns,
} from '../../../src-main/synth/graphemes.js';
import { PROBE, shape, verifyFonts } from '../../../src-main/synth/render.js';
import { Synth } from '../../../src-main/synth/synth.js';
import { familyName, fontKind, woffToSfnt } from '../../../src-main/synth/woff.js';

const taxonomy = readClassMap();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'synth-'));
  process.env.GRAPHEME_STUDIO_CACHE = join(dir, 'cache');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WOFF to TTF', () => {
  it('unpacks every table so the family name reads back', () => {
    const woff = fontSpecs().find((s) => s.source.endsWith('galada-bengali-400-normal.woff'))!;
    const sfnt = woffToSfnt(readFileSync(woff.source), woff.source);
    expect(fontKind(sfnt)).toBe('sfnt');
    expect(familyName(sfnt)).toBe('Galada');
  });
  it('rejects a file that is not a font, naming it', () => {
    const bogus = join(dir, 'not-a-font.ttf');
    writeFileSync(bogus, 'hello, I am a text file pretending to be a font');
    expect(() => openFont({ id: 'x', from: 'file', licence: '?', source: bogus })).toThrow(FontFileError);
    expect(() => openFont({ id: 'x', from: 'file', licence: '?', source: bogus })).toThrow(
      /not-a-font\.ttf: not a font/,
    );
    const truncated = join(dir, 'truncated.woff');
    writeFileSync(truncated, Buffer.concat([Buffer.from('wOFF'), Buffer.alloc(60)]));
    expect(() => openFont({ id: 'x', from: 'file', licence: '?', source: truncated })).toThrow(/truncated\.woff/);
  });
});

describe('fonts', () => {
  it('each font renders differently from every other and from a family that does not resolve', async () => {
    const fonts = fontSpecs().map((s) => openFont(s));
    expect(fonts.length).toBeGreaterThanOrEqual(12);
    await verifyFonts(fonts);
    const renders = await Promise.all(fonts.map((f) => shape(PROBE, f, 40)));
    const keys = new Set(renders.map((r) => Buffer.from(r.ink).toString('base64')));
    expect(keys.size).toBe(fonts.length);
  });
  it('a font whose family does not resolve is refused (fontconfig would fall back silently)', async () => {
    const fonts = fontSpecs().map((s) => openFont(s));
    const wrong = { ...fonts[2]!, pango: 'Hind Siliguri Misspelt,' };
    await expect(verifyFonts([fonts[0]!, fonts[5]!, wrong])).rejects.toThrow(/did not resolve|fell back/);
  });
});

describe('grapheme list', () => {
  it('reads the 1,295 graphemes with their ids, NFC', () => {
    const list = readGraphemeList(taxonomy);
    expect(list).toHaveLength(1295);
    const kri = list.find((g) => g.text === 'ক্রি')!;
    expect([kri.root, kri.vowel, kri.consonant]).toEqual([13, 2, 5]);
    for (const g of list) expect(g.text).toBe(g.text.normalize('NFC'));
  });
  it('fixes the shaping traps: ZWJ for র with ya-phala, a carrier before a lone sign', () => {
    expect(renderable('র্যো', 'র', 4)).toBe('র\u200d্যো');
    expect(renderable('র্যা', 'য', 2)).toBe('র্যা'); // reph over য stays reph
    expect(renderable('ং', 'ং', 0)).toBe('\u00a0ং');
    const list = readGraphemeList(taxonomy);
    expect(list.find((g) => g.root === 123 && g.vowel === 9 && g.consonant === 4)!.text).toBe('র\u200d্যো');
  });
  it('names the row and field of a malformed list', () => {
    const write = (body: string) => {
      const f = join(dir, 'g.csv');
      writeFileSync(f, `grapheme,grapheme_root,vowel_diacritic,consonant_diacritic\n${body}`);
      return f;
    };
    expect(() => readGraphemeList(taxonomy, write('ক,13,0,0\nখ,200,0,0\n'))).toThrow(
      /g\.csv: row 3: field grapheme_root must be a class id in 0\.\.167, got "200"/,
    );
    expect(() => readGraphemeList(taxonomy, write('ক,13,x,0\n'))).toThrow(/row 2: field vowel_diacritic/);
    expect(() => readGraphemeList(taxonomy, write('ক,13\n'))).toThrow(/row 2: expected at least 4 fields/);
    expect(() => readGraphemeList(taxonomy, join(dir, 'missing.csv'))).toThrow(GraphemeListError);
  });
  it('extras give every consonant root each vowel and none / ঁ / reph / ya-phala / ra-phala', () => {
    const set = renderSet(taxonomy, readGraphemeList(taxonomy));
    const have = new Set(set.map((g) => `${g.root},${g.vowel},${g.consonant}`));
    const consonantRoots = taxonomy.root.filter((r) => takesSigns(r.glyph));
    expect(consonantRoots.length).toBeGreaterThan(140);
    for (const r of consonantRoots) {
      for (let v = 0; v < 11; v++) expect(have.has(`${r.id},${v},0`)).toBe(true);
      for (const c of [1, 2, 4, 5]) expect(have.has(`${r.id},0,${c}`)).toBe(true);
    }
    // Every root of the taxonomy is rendered somewhere.
    expect(new Set(set.map((g) => g.root)).size).toBe(168);
  });
});

describe('renders', () => {
  it('are labeled as the list says, deterministic, and go through the real preprocessing', async () => {
    const synth = await Synth.open({ taxonomy, seed: 3 });
    const list = new Map(readGraphemeList(taxonomy).map((g) => [g.text, g]));
    for (let i = 0; i < 40; i++) {
      const s = await synth.sample(i, 64);
      expect(s.pixels).toHaveLength(64 * 64);
      const listed = list.get(s.entry.text);
      if (s.entry.origin === 'list')
        expect([listed!.root, listed!.vowel, listed!.consonant]).toEqual([
          s.entry.root,
          s.entry.vowel,
          s.entry.consonant,
        ]);
      // Preprocessing crops to the ink: the border rows and columns hold little of it.
      const max = s.pixels.reduce((m, v) => Math.max(m, v), 0);
      expect(max).toBeGreaterThan(150);
    }
    const again = await Synth.open({ taxonomy, seed: 3 });
    expect(Buffer.from((await again.sample(7, 64)).pixels)).toEqual(Buffer.from((await synth.sample(7, 64)).pixels));
  });
});

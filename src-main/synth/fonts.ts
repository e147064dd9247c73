/**
 * The fonts renders are drawn in: OFL fonts from npm (@fontsource, WOFF 1
 * converted once into a cache of TTFs), the Noto Sans Bengali the app ships,
 * and Debian's Bengali fonts where a pretraining machine has them installed.
 * Each font is checked before use: it must parse as a font, carry a family
 * name, and render differently from fontconfig's fallback (fontconfig
 * silently substitutes another font when a family name does not match).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { resourcesDir } from '../shared/app-files.js';
import { FontFileError, familyName, fontKind, weightClass, woffToSfnt } from './woff.js';

export { FontFileError } from './woff.js';

export interface FontSpec {
  /** Stable id, used in model cards and on the command line. */
  id: string;
  /** Where it comes from: an npm package name, 'app' or 'system'. */
  from: string;
  licence: string;
  /** The file as shipped (WOFF, TTF or OTF). */
  source: string;
}

export interface Font extends FontSpec {
  /** The TTF/OTF that Pango loads (the source, or its conversion in the cache). */
  file: string;
  family: string;
  weight: number;
  /** Pango font description without the size, e.g. "Atma SemiBold, Semi-Bold". */
  pango: string;
  /** sha256 of the source file. */
  sha256: string;
}

const NPM_FONTS: [pkg: string, file: string][] = [
  ['@fontsource/hind-siliguri', 'hind-siliguri-bengali-400-normal.woff'],
  ['@fontsource/hind-siliguri', 'hind-siliguri-bengali-600-normal.woff'],
  ['@fontsource/noto-serif-bengali', 'noto-serif-bengali-bengali-400-normal.woff'],
  ['@fontsource/noto-serif-bengali', 'noto-serif-bengali-bengali-700-normal.woff'],
  ['@fontsource/tiro-bangla', 'tiro-bangla-bengali-400-normal.woff'],
  ['@fontsource/anek-bangla', 'anek-bangla-bengali-400-normal.woff'],
  ['@fontsource/anek-bangla', 'anek-bangla-bengali-700-normal.woff'],
  ['@fontsource/baloo-da-2', 'baloo-da-2-bengali-400-normal.woff'],
  ['@fontsource/baloo-da-2', 'baloo-da-2-bengali-700-normal.woff'],
  ['@fontsource/atma', 'atma-bengali-400-normal.woff'],
  ['@fontsource/atma', 'atma-bengali-600-normal.woff'],
  ['@fontsource/galada', 'galada-bengali-400-normal.woff'],
  ['@fontsource/mina', 'mina-bengali-400-normal.woff'],
  ['@fontsource/mina', 'mina-bengali-700-normal.woff'],
];

/** Debian: fonts-lohit-beng-bengali (OFL), fonts-beng-extra (GPL-2; used for pretraining only, never shipped). */
const SYSTEM_FONTS: [file: string, licence: string][] = [
  ['/usr/share/fonts/truetype/lohit-bengali/Lohit-Bengali.ttf', 'OFL-1.1'],
  ['/usr/share/fonts/truetype/ttf-bengali-fonts/Mukti.ttf', 'GPL-2.0'],
  ['/usr/share/fonts/truetype/ttf-bengali-fonts/AnaNew.ttf', 'GPL-2.0'],
  ['/usr/share/fonts/truetype/ttf-bengali-fonts/JamrulNormal.ttf', 'GPL-2.0'],
  ['/usr/share/fonts/truetype/ttf-bengali-fonts/MitraMono.ttf', 'GPL-2.0'],
];

function appFontDir(): string | null {
  const res = resourcesDir();
  const candidates = [join(res, 'fonts'), join(dirname(res), 'src-renderer', 'public', 'fonts')];
  return candidates.find((d) => existsSync(join(d, 'NotoSansBengali-Regular.ttf'))) ?? null;
}

/** Every font this machine has for rendering, in a fixed order; system fonts only when asked. */
export function fontSpecs(opts: { system?: boolean } = {}): FontSpec[] {
  const require = createRequire(import.meta.url);
  const specs: FontSpec[] = [];
  const app = appFontDir();
  if (app)
    for (const f of ['NotoSansBengali-Regular.ttf', 'NotoSansBengali-Bold.ttf'])
      specs.push({ id: f.replace(/\.ttf$/, '').toLowerCase(), from: 'app', licence: 'OFL-1.1', source: join(app, f) });
  for (const [pkg, file] of NPM_FONTS) {
    let source: string;
    try {
      source = require.resolve(`${pkg}/files/${file}`);
    } catch {
      continue; // package not installed: that font is simply not available
    }
    specs.push({ id: file.replace(/-bengali|-normal\.woff$/g, ''), from: pkg, licence: 'OFL-1.1', source });
  }
  if (opts.system)
    for (const [file, licence] of SYSTEM_FONTS)
      if (existsSync(file))
        specs.push({
          id: file
            .split('/')
            .pop()!
            .replace(/\.ttf$/, '')
            .toLowerCase(),
          from: 'system',
          licence,
          source: file,
        });
  return specs;
}

export function fontCacheDir(): string {
  return process.env.GRAPHEME_STUDIO_CACHE
    ? join(process.env.GRAPHEME_STUDIO_CACHE, 'fonts')
    : join(homedir(), '.cache', 'grapheme-studio', 'fonts');
}

const PANGO_WEIGHTS: [number, string][] = [
  [150, 'Thin'],
  [250, 'Ultra-Light'],
  [350, 'Light'],
  [450, ''],
  [550, 'Medium'],
  [650, 'Semi-Bold'],
  [750, 'Bold'],
  [850, 'Ultra-Bold'],
];
const pangoWeight = (w: number) => PANGO_WEIGHTS.find(([max]) => w < max)?.[1] ?? 'Heavy';

/**
 * Reads one font file: converts WOFF into the cache (keyed by the source's
 * sha256, written by rename so concurrent processes never see half a file)
 * and reads its family and weight. Throws FontFileError naming the file.
 */
export function openFont(spec: FontSpec, cacheDir = fontCacheDir()): Font {
  let buf: Buffer;
  try {
    buf = readFileSync(spec.source);
  } catch (err) {
    throw new FontFileError(`${spec.source}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const sha256 = createHash('sha256').update(buf).digest('hex');
  const kind = fontKind(buf);
  let file = spec.source;
  let sfnt = buf;
  if (kind === 'woff2')
    throw new FontFileError(`${spec.source}: WOFF2 is not supported; use the package's .woff or a TTF/OTF`);
  if (kind === 'unknown') throw new FontFileError(`${spec.source}: not a font (no TTF, OTF or WOFF signature)`);
  if (kind === 'woff') {
    sfnt = woffToSfnt(buf, spec.source);
    file = join(cacheDir, `${sha256.slice(0, 16)}.ttf`);
    if (!existsSync(file)) {
      mkdirSync(cacheDir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, sfnt);
      renameSync(tmp, file);
    }
  }
  let family: string | null;
  try {
    family = familyName(sfnt);
  } catch {
    family = null;
  }
  if (!family) throw new FontFileError(`${spec.source}: the font has no readable family name (name table)`);
  const weight = weightClass(sfnt);
  // The comma ends the family list, so words in the family ("Medium", "SemiBold") are not read as a style.
  const word = pangoWeight(weight);
  const pango = word ? `${family}, ${word}` : `${family},`;
  return { ...spec, file, family, weight, pango, sha256 };
}

/**
 * Generated label CSVs: the competition's train.csv shape with hostile
 * headers, rows, line endings and encodings. `clean` tells the checker
 * whether the file is plain UTF-8 text the reader must parse row by row.
 */
import type { Rng } from './mutate.js';

export interface CsvCase {
  bytes: Buffer;
  what: string;
}

const HEADER = ['image_id', 'grapheme_root', 'vowel_diacritic', 'consonant_diacritic', 'grapheme'];

function header(rng: Rng): { cells: string[]; what: string } {
  const kind = rng.int(8);
  if (kind === 0) {
    const drop = 1 + rng.int(3);
    return { cells: HEADER.filter((_, i) => i !== drop), what: `missing ${HEADER[drop]}` };
  }
  if (kind === 1) {
    const dup = rng.pick(HEADER);
    return { cells: [...HEADER, dup], what: `duplicate header ${dup}` };
  }
  if (kind === 2) return { cells: HEADER.map((h) => ` ${h} `), what: 'spaced header' };
  if (kind === 3) return { cells: ['path', ...HEADER.slice(1)], what: 'path header' };
  if (kind === 4) return { cells: HEADER.map((h) => h.toUpperCase()), what: 'upper-case header' };
  return { cells: HEADER, what: 'header' };
}

function cell(rng: Rng, max: number): string {
  const kind = rng.int(14);
  if (kind === 0) return String(max + 1 + rng.int(1000));
  if (kind === 1) return `-${1 + rng.int(5)}`;
  if (kind === 2) return `${rng.int(max)}.0`;
  if (kind === 3) return '';
  if (kind === 4) return 'NaN';
  if (kind === 5) return '1e3';
  if (kind === 6) return `"${rng.int(max)}"`;
  if (kind === 7) return '99999999999999999999999';
  return String(rng.int(max));
}

function name(rng: Rng, names: string[]): string {
  const kind = rng.int(10);
  if (kind === 0) return `missing_${rng.int(1000)}`;
  if (kind === 1) return '';
  if (kind === 2) return `"${rng.pick(names)}"`;
  if (kind === 3) return `"a,b""c"`;
  if (kind === 4) return `"unterminated ${rng.pick(names)}`;
  if (kind === 5) return `${rng.pick(names)}\u0000`;
  if (kind === 6) return '../'.repeat(5) + 'etc/passwd';
  return rng.pick(names);
}

function row(rng: Rng, names: string[]): string {
  const kind = rng.int(12);
  if (kind === 0) return 'x'.repeat(100_000 + rng.int(300_000));
  if (kind === 1) return `${rng.pick(names)},1,2`;
  if (kind === 2) return `${rng.pick(names)},1,2,3,ক,extra,fields`;
  if (kind === 3) return ',,,,';
  if (kind === 4) return '\u0000\u0000\u0000';
  return [name(rng, names), cell(rng, 168), cell(rng, 11), cell(rng, 7), rng.pick(['ক', 'কা', '', '"ক,খ"'])].join(',');
}

function encode(rng: Rng, text: string): { bytes: Buffer; what: string } {
  const kind = rng.int(8);
  if (kind === 0)
    return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), what: 'UTF-8 BOM' };
  if (kind === 1)
    return { bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), what: 'UTF-16LE' };
  if (kind === 2) return { bytes: Buffer.from(text, 'latin1'), what: 'Latin-1' };
  if (kind === 3) {
    const b = Buffer.from(text);
    if (b.length) b[rng.int(b.length)] = 0xff; // invalid UTF-8
    return { bytes: b, what: 'invalid UTF-8 byte' };
  }
  return { bytes: Buffer.from(text), what: 'UTF-8' };
}

/** A labels CSV over the image names a project holds (and some it does not). */
export function labelCsv(rng: Rng, names: string[]): CsvCase {
  if (rng.chance(0.03)) return { bytes: Buffer.alloc(0), what: 'empty file' };
  const h = header(rng);
  const n = rng.int(12);
  const lines = [h.cells.join(',')];
  for (let i = 0; i < n; i++) lines.push(row(rng, names));
  const eol = rng.pick(['\n', '\r\n', '\r', '\n\r']);
  const text = lines.join(eol) + (rng.chance(0.5) ? eol : '');
  const enc = encode(rng, text);
  return { bytes: enc.bytes, what: `${h.what}, ${n} rows, ${JSON.stringify(eol)}, ${enc.what}` };
}

/**
 * WOFF 1.0 to a plain sfnt (TTF/OTF): Pango, through fontconfig, loads only
 * the latter, and the OFL fonts on npm (@fontsource) ship only WOFF/WOFF2.
 * WOFF 1 is the sfnt's tables, each zlib-compressed on its own when that
 * saves space, so unpacking is a table directory rewrite plus node:zlib.
 */
import { inflateSync } from 'node:zlib';

const WOFF = 0x774f4646; // 'wOFF'
const WOFF2 = 0x774f4632; // 'wOF2'
const SFNT_FLAVORS = new Set([0x00010000, 0x4f54544f, 0x74727565]); // 1.0, 'OTTO', 'true'

/** Thrown for anything that is not a usable font; the message names the file. */
export class FontFileError extends Error {}

export type FontKind = 'sfnt' | 'woff' | 'woff2' | 'unknown';

export function fontKind(buf: Buffer): FontKind {
  if (buf.length < 12) return 'unknown';
  const sig = buf.readUInt32BE(0);
  if (sig === WOFF) return 'woff';
  if (sig === WOFF2) return 'woff2';
  return SFNT_FLAVORS.has(sig) ? 'sfnt' : 'unknown';
}

interface Table {
  tag: number;
  checksum: number;
  data: Buffer;
}

function readTables(buf: Buffer, file: string): { flavor: number; tables: Table[] } {
  if (buf.length < 44) throw new FontFileError(`${file}: truncated WOFF header`);
  const flavor = buf.readUInt32BE(4);
  const numTables = buf.readUInt16BE(12);
  if (numTables === 0 || 44 + numTables * 20 > buf.length)
    throw new FontFileError(`${file}: WOFF table directory is truncated or empty`);
  const tables: Table[] = [];
  for (let i = 0; i < numTables; i++) {
    const e = 44 + i * 20;
    const tag = buf.readUInt32BE(e);
    const offset = buf.readUInt32BE(e + 4);
    const compLength = buf.readUInt32BE(e + 8);
    const origLength = buf.readUInt32BE(e + 12);
    const name = Buffer.from([tag >>> 24, (tag >>> 16) & 255, (tag >>> 8) & 255, tag & 255]).toString('latin1');
    if (offset + compLength > buf.length)
      throw new FontFileError(`${file}: table ${name} runs past the end of the file`);
    const raw = buf.subarray(offset, offset + compLength);
    let data: Buffer;
    try {
      data = compLength < origLength ? inflateSync(raw) : Buffer.from(raw);
    } catch {
      throw new FontFileError(`${file}: table ${name} does not inflate (corrupt WOFF)`);
    }
    if (data.length !== origLength)
      throw new FontFileError(`${file}: table ${name} inflates to ${data.length} bytes, expected ${origLength}`);
    tables.push({ tag, checksum: buf.readUInt32BE(e + 16), data });
  }
  return { flavor, tables };
}

/** The sfnt bytes of a WOFF 1.0 file; throws FontFileError naming `file`. */
export function woffToSfnt(buf: Buffer, file: string): Buffer {
  if (fontKind(buf) !== 'woff') throw new FontFileError(`${file}: not a WOFF 1.0 file`);
  const { flavor, tables } = readTables(buf, file);
  tables.sort((a, b) => a.tag - b.tag); // the sfnt directory is sorted by tag
  const n = tables.length;
  const pow = 2 ** Math.floor(Math.log2(n));
  const header = Buffer.alloc(12 + 16 * n);
  header.writeUInt32BE(flavor, 0);
  header.writeUInt16BE(n, 4);
  header.writeUInt16BE(pow * 16, 6);
  header.writeUInt16BE(Math.log2(pow), 8);
  header.writeUInt16BE(n * 16 - pow * 16, 10);
  const parts: Buffer[] = [header];
  let offset = header.length;
  tables.forEach((t, i) => {
    const r = 12 + i * 16;
    header.writeUInt32BE(t.tag, r);
    header.writeUInt32BE(t.checksum, r + 4);
    header.writeUInt32BE(offset, r + 8);
    header.writeUInt32BE(t.data.length, r + 12);
    const padded = (t.data.length + 3) & ~3;
    parts.push(t.data, Buffer.alloc(padded - t.data.length));
    offset += padded;
  });
  return Buffer.concat(parts);
}

/** The sfnt tables by tag, for reading the name and OS/2 tables. */
export function sfntTable(buf: Buffer, tag: string): Buffer | null {
  const n = buf.readUInt16BE(4);
  for (let i = 0; i < n; i++) {
    const r = 12 + i * 16;
    if (r + 16 > buf.length) return null;
    if (buf.toString('latin1', r, r + 4) !== tag) continue;
    const off = buf.readUInt32BE(r + 8);
    const len = buf.readUInt32BE(r + 12);
    return off + len <= buf.length ? buf.subarray(off, off + len) : null;
  }
  return null;
}

/** Family name (typographic family, else family) from the name table, Windows Unicode records. */
export function familyName(sfnt: Buffer): string | null {
  const t = sfntTable(sfnt, 'name');
  if (!t || t.length < 6) return null;
  const count = t.readUInt16BE(2);
  const strings = t.readUInt16BE(4);
  const found = new Map<number, string>();
  for (let i = 0; i < count; i++) {
    const r = 6 + i * 12;
    if (r + 12 > t.length) break;
    const platform = t.readUInt16BE(r);
    const id = t.readUInt16BE(r + 6);
    const len = t.readUInt16BE(r + 8);
    const off = strings + t.readUInt16BE(r + 10);
    if (platform !== 3 || (id !== 1 && id !== 16) || off + len > t.length) continue;
    const be = t.subarray(off, off + len);
    found.set(id, Buffer.from(be).swap16().toString('utf16le'));
  }
  return found.get(16) ?? found.get(1) ?? null;
}

/** usWeightClass from the OS/2 table (400 when absent). */
export function weightClass(sfnt: Buffer): number {
  const t = sfntTable(sfnt, 'OS/2');
  return t && t.length >= 6 ? t.readUInt16BE(4) : 400;
}

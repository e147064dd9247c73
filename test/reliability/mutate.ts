/**
 * Seeded mutations of the files users import: a case number and a seed give
 * the same bytes on every machine, so a failure found in the soak replays in
 * a test. Each mutator returns the bytes and a short name of what it did.
 */
import { deflateSync } from 'node:zlib';

/** mulberry32: small, fast, and good enough to pick mutations. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export interface Mutant {
  bytes: Buffer;
  what: string;
}

const ABSURD = [0, 1, 65535, 65536, 100_000, 0x7fffffff, 0x80000000, 0xffffffff];

export function flipBytes(rng: Rng, src: Buffer, from = 0, to = src.length): Mutant {
  const out = Buffer.from(src);
  const n = 1 + rng.int(8);
  for (let i = 0; i < n; i++) {
    const at = Math.min(out.length - 1, from + rng.int(Math.max(1, to - from)));
    out[at] = out[at]! ^ (1 + rng.int(255));
  }
  return { bytes: out, what: `flip ${n} byte(s) in ${from}..${to}` };
}

export function truncate(rng: Rng, src: Buffer): Mutant {
  const at = rng.int(src.length);
  return { bytes: src.subarray(0, at), what: `truncate at ${at}/${src.length}` };
}

function splice(rng: Rng, src: Buffer): Mutant {
  const at = rng.int(src.length);
  const junk = Buffer.alloc(1 + rng.int(64), rng.int(256));
  return rng.chance(0.5)
    ? { bytes: Buffer.concat([src.subarray(0, at), junk, src.subarray(at)]), what: `insert ${junk.length} at ${at}` }
    : {
        bytes: Buffer.concat([src.subarray(0, at), src.subarray(at + junk.length)]),
        what: `cut ${junk.length} at ${at}`,
      };
}

// ---- PNG ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Chunk {
  type: string;
  data: Buffer;
}

export function pngChunks(png: Buffer): Chunk[] {
  const out: Chunk[] = [];
  for (let o = 8; o + 12 <= png.length;) {
    const len = png.readUInt32BE(o);
    out.push({ type: png.toString('latin1', o + 4, o + 8), data: png.subarray(o + 8, o + 8 + len) });
    o += 12 + len;
  }
  return out;
}

/** Reassembles chunks with correct CRCs, so the decoder sees the edit rather than a checksum error. */
export function pngFrom(chunks: Chunk[]): Buffer {
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  for (const c of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(c.data.length, 0);
    head.write(c.type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), Uint8Array.from(c.data)])), 0);
    parts.push(head, Buffer.from(c.data), crc);
  }
  return Buffer.concat(parts);
}

function editIhdr(rng: Rng, chunks: Chunk[]): string {
  const ihdr = Buffer.from(chunks[0]!.data);
  chunks[0] = { type: 'IHDR', data: ihdr };
  const field = rng.int(4);
  if (field === 0) {
    const w = rng.pick(ABSURD);
    const h = rng.pick(ABSURD);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    return `IHDR ${w}x${h}`;
  }
  if (field === 1) return `IHDR bit depth ${(ihdr[8] = rng.pick([0, 1, 3, 16, 255]))}`;
  if (field === 2) return `IHDR colour type ${(ihdr[9] = rng.pick([1, 2, 3, 5, 7, 255]))}`;
  return `IHDR interlace ${(ihdr[12] = rng.pick([1, 2, 255]))}`;
}

/** A small IDAT that inflates to rows of a huge declared image: a decompression bomb. */
function bomb(rng: Rng): Mutant {
  const w = rng.pick([5000, 6000, 20000, 60000]);
  const h = rng.pick([5000, 6000, 20000]);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  const rows = Math.min(h, 400);
  const idat = deflateSync(Buffer.alloc((w + 1) * rows), { level: 9 });
  const png = pngFrom([
    { type: 'IHDR', data: ihdr },
    { type: 'IDAT', data: idat },
    { type: 'IEND', data: Buffer.alloc(0) },
  ]);
  return { bytes: png, what: `bomb ${w}x${h} with ${rows} rows of data` };
}

export function mutatePng(rng: Rng, src: Buffer): Mutant {
  const kind = rng.int(9);
  if (kind === 0) return flipBytes(rng, src);
  if (kind === 1) return truncate(rng, src);
  if (kind === 2) return splice(rng, src);
  if (kind === 3) return bomb(rng);
  const chunks = pngChunks(src);
  let what: string;
  if (kind === 4) what = editIhdr(rng, chunks);
  else if (kind === 5) {
    const i = rng.int(chunks.length);
    what = `drop ${chunks[i]!.type}`;
    chunks.splice(i, 1);
  } else if (kind === 6) {
    const i = rng.int(chunks.length);
    what = `duplicate ${chunks[i]!.type}`;
    chunks.splice(i, 0, chunks[i]!);
  } else if (kind === 7) {
    const i = rng.int(chunks.length);
    const data = Buffer.from(chunks[i]!.data);
    for (let k = 0; k < 1 + rng.int(4) && data.length; k++) {
      const at = rng.int(data.length);
      data[at] = data[at]! ^ (1 + rng.int(255));
    }
    chunks[i] = { type: chunks[i]!.type, data };
    what = `corrupt ${chunks[i]!.type} data (CRC fixed)`;
  } else {
    const type = rng.pick(['tEXt', 'zTXt', 'PLTE', 'tRNS', 'gAMA', 'iCCP', 'xxXx', 'XXXX', 'IDAT']);
    chunks.splice(1 + rng.int(chunks.length - 1), 0, { type, data: Buffer.alloc(rng.int(300), rng.int(256)) });
    what = `insert ${type}`;
  }
  return { bytes: pngFrom(chunks), what };
}

// ---- JPEG ----

/** Offsets of marker segments (0xFF xx with a length) before the scan data. */
function jpegSegments(jpg: Buffer): { marker: number; at: number; len: number }[] {
  const out = [];
  for (let o = 2; o + 4 <= jpg.length && jpg[o] === 0xff;) {
    const marker = jpg[o + 1]!;
    const len = jpg.readUInt16BE(o + 2);
    out.push({ marker, at: o, len });
    if (marker === 0xda) break;
    o += 2 + len;
  }
  return out;
}

export function mutateJpeg(rng: Rng, src: Buffer): Mutant {
  const kind = rng.int(7);
  if (kind === 0) return flipBytes(rng, src);
  if (kind === 1) return truncate(rng, src);
  if (kind === 2) return splice(rng, src);
  const segs = jpegSegments(src);
  const out = Buffer.from(src);
  const sof = segs.find((s) => s.marker >= 0xc0 && s.marker <= 0xc2);
  if (kind === 3 && sof) {
    const h = rng.pick([0, 1, 65535, 40000]);
    const w = rng.pick([0, 1, 65535, 40000]);
    out.writeUInt16BE(h, sof.at + 5);
    out.writeUInt16BE(w, sof.at + 7);
    return { bytes: out, what: `SOF ${w}x${h}` };
  }
  if (kind === 4 && segs.length) {
    const s = rng.pick(segs);
    const len = rng.pick([0, 1, 2, 0xffff, s.len + 7]);
    out.writeUInt16BE(len, s.at + 2);
    return { bytes: out, what: `segment ff${s.marker.toString(16)} length ${len}` };
  }
  if (kind === 5) {
    const end = out.lastIndexOf(Buffer.from([0xff, 0xd9]));
    return { bytes: end > 0 ? out.subarray(0, end) : out, what: 'no EOI' };
  }
  const sos = segs.find((s) => s.marker === 0xda);
  const at = sos ? sos.at + 2 + sos.len + rng.int(Math.max(1, out.length - sos.at - sos.len - 4)) : 2;
  return flipBytes(rng, out, at, Math.min(out.length, at + 64));
}

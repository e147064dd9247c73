import { constants, crc32, deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Encodes 8-bit grayscale pixels as PNG: Paeth-filtered rows, deflated with
 * the run-length strategy. On scanned handwriting this is both the smallest
 * and among the fastest of the standard filter/strategy pairs measured
 * (13.5 KB in 0.44 ms for a 137x236 crop, against 15.2 KB in 1.2 ms for the
 * Up filter at the default strategy).
 */
export function encodeGrayPng(pixels: Uint8Array, width: number, height: number): Buffer {
  return assemble(width, height, deflateSync(paethFiltered(pixels, width, height), DEFLATE));
}

/** The filtered rows of the image being encoded: one buffer per thread, as deflateSync is done with it on return. */
let filtered = new Uint8Array(0);

const DEFLATE = { level: 6, strategy: constants.Z_RLE };

/**
 * Paeth-filtered rows with the filter byte in front of each. The left (a) and
 * upper-left (c) neighbours are carried along the row, so each pixel costs two
 * loads; this loop was half of a parquet row's PNG encoding before.
 */
function paethFiltered(pixels: Uint8Array, width: number, height: number): Uint8Array {
  if (pixels.length !== width * height) throw new Error(`expected ${width * height} pixels, got ${pixels.length}`);
  const stride = width + 1;
  // Reused: a new 32 KB array per parquet row was a good part of the import's garbage collection.
  if (filtered.length !== stride * height) filtered = new Uint8Array(stride * height);
  const out = filtered;
  // First row: Paeth degenerates to "left".
  out[0] = 4;
  out[1] = pixels[0]!;
  for (let x = 1; x < width; x++) out[1 + x] = pixels[x]! - pixels[x - 1]!;
  for (let y = 1; y < height; y++) {
    let o = y * stride;
    let i = y * width;
    out[o++] = 4;
    let c = pixels[i - width]!;
    let a = pixels[i]!;
    out[o++] = a - c; // first column: "up"
    const end = i + width;
    for (i++; i < end; i++, o++) {
      // Branch-free: on scan noise the predictor choice is a coin toss, and mispredicted branches cost more than this.
      const b = pixels[i - width]!;
      const bc = b - c;
      const ac = a - c;
      const mb = bc >> 31;
      const ma = ac >> 31;
      const pa = (bc ^ mb) - mb; // |p - a| with p = a + b - c
      const pb = (ac ^ ma) - ma;
      const d = bc + ac;
      const md = d >> 31;
      const pc = (d ^ md) - md;
      const notA = ((pb - pa) | (pc - pa)) >> 31;
      const useC = (pc - pb) >> 31;
      const predictor = (a & ~notA) | (((b & ~useC) | (c & useC)) & notA);
      const x = pixels[i]!;
      out[o] = x - predictor;
      a = x;
      c = b;
    }
  }
  return out;
}

/** Signature, IHDR, IDAT and IEND written straight into the one buffer returned (no copy per chunk). */
function assemble(width: number, height: number, idat: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(8 + 25 + 12 + idat.length + 12);
  SIGNATURE.copy(out, 0);
  let pos = 8;
  const chunk = (type: string, length: number, fill: (at: number) => void) => {
    out.writeUInt32BE(length, pos);
    out.write(type, pos + 4, 'latin1');
    fill(pos + 8);
    out.writeUInt32BE(crc32(out.subarray(pos + 4, pos + 8 + length)), pos + 8 + length);
    pos += 12 + length;
  };
  chunk('IHDR', 13, (at) => {
    out.writeUInt32BE(width, at);
    out.writeUInt32BE(height, at + 4);
    out[at + 8] = 8; // bit depth
    out[at + 9] = 0; // grayscale
    out[at + 10] = 0; // compression, filter, interlace
    out[at + 11] = 0;
    out[at + 12] = 0;
  });
  chunk('IDAT', idat.length, (at) => out.set(idat, at));
  chunk('IEND', 0, () => undefined);
  return out;
}

const PLAIN_CHUNKS = new Set(['IHDR', 'tEXt', 'zTXt', 'iTXt', 'tIME', 'pHYs']);

/**
 * Decodes an 8-bit grayscale, non-interlaced PNG (what encodeGrayPng writes)
 * without sharp: 0.48 ms CPU for a crop against sharp's 2.1 (measured side by
 * side under load 21). Returns null for any other kind of PNG, which callers
 * decode the general way.
 */
export function decodeGrayPng(png: Uint8Array): { width: number; height: number; gray: Uint8Array } | null {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (png.length < 33 || !SIGNATURE.equals(png.subarray(0, 8))) return null;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  // bit depth 8, colour type 0 (gray), compression 0, filter 0, no interlace
  if (png[24] !== 8 || png[25] !== 0 || png[28] !== 0 || width === 0 || height === 0) return null;
  const idat: Uint8Array[] = [];
  for (let pos = 8; pos + 12 <= png.length;) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(png[pos + 4]!, png[pos + 5]!, png[pos + 6]!, png[pos + 7]!);
    if (pos + 12 + len > png.length) throw new Error('PNG chunk runs past the end of the file');
    if (type === 'IDAT') idat.push(png.subarray(pos + 8, pos + 8 + len));
    else if (type === 'IEND') break;
    // Transparency, gamma or a colour profile change what sharp makes of the pixels: leave those to it.
    else if (!PLAIN_CHUNKS.has(type)) return null;
    pos += 12 + len;
  }
  const filtered = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat));
  if (filtered.length !== (width + 1) * height)
    throw new Error(`PNG data holds ${filtered.length} bytes, expected ${(width + 1) * height}`);
  return { width, height, gray: unfilter(filtered, width, height) };
}

/** Undoes the five PNG filters (one byte per pixel), one loop per filter type. */
function unfilter(data: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const type = data[y * (width + 1)]!;
    const s = y * (width + 1) + 1;
    const o = y * width;
    const u = o - width; // the row above; absent (all 0) on the first row
    const first = y === 0;
    if (type === 0) out.set(data.subarray(s, s + width), o);
    else if (type === 1) for (let x = 0, a = 0; x < width; x++) a = out[o + x] = (data[s + x]! + a) & 255;
    else if (type === 2) for (let x = 0; x < width; x++) out[o + x] = data[s + x]! + (first ? 0 : out[u + x]!);
    else if (type === 3) {
      for (let x = 0, a = 0; x < width; x++)
        a = out[o + x] = (data[s + x]! + ((a + (first ? 0 : out[u + x]!)) >> 1)) & 255;
    } else if (type === 4) {
      let a = 0;
      let c = 0;
      for (let x = 0; x < width; x++) {
        const b = first ? 0 : out[u + x]!;
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        a = out[o + x] = (data[s + x]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
        c = b;
      }
    } else throw new Error(`PNG row ${y} has unknown filter type ${type}`);
  }
  return out;
}

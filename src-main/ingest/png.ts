import { deflate, deflateSync } from 'node:zlib';
import { promisify } from 'node:util';

const deflateAsync = promisify(deflate);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Encodes 8-bit grayscale pixels as PNG. Rows use the Up filter, which suits
 * scanned handwriting (long vertical runs of paper) and costs one subtraction.
 */
export function encodeGrayPng(pixels: Uint8Array, width: number, height: number, level = 6): Buffer {
  return assemble(width, height, deflateSync(upFiltered(pixels, width, height), { level }));
}

/** As encodeGrayPng, with compression on libuv's thread pool so several images compress in parallel. */
export async function encodeGrayPngAsync(
  pixels: Uint8Array,
  width: number,
  height: number,
  level = 6,
): Promise<Buffer> {
  return assemble(width, height, await deflateAsync(upFiltered(pixels, width, height), { level }));
}

function upFiltered(pixels: Uint8Array, width: number, height: number): Uint8Array {
  const stride = width + 1;
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const o = y * stride;
    const row = y * width;
    if (y === 0) {
      raw[o] = 0;
      raw.set(pixels.subarray(0, width), 1);
      continue;
    }
    raw[o] = 2; // Up
    for (let x = 0; x < width; x++) raw[o + 1 + x] = (pixels[row + x]! - pixels[row - width + x]!) & 0xff;
  }
  return raw;
}

function assemble(width: number, height: number, idat: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

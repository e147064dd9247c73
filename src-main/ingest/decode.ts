import sharp, { type Metadata } from 'sharp';

/** Larger images are refused before decoding: protects against decompression bombs. */
export const MAX_PIXELS = 25_000_000;

export type ImageFormat = 'png' | 'jpeg';

export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

export interface Decoded {
  format: ImageFormat;
  width: number;
  height: number;
  gray: Uint8Array;
}

/** Decodes PNG/JPEG bytes to 8-bit grayscale; throws an Error with a readable reason. */
export async function decodeImage(bytes: Buffer): Promise<Decoded> {
  if (bytes.length === 0) throw new Error('empty file');
  const format = sniffFormat(bytes);
  if (!format) throw new Error('not a PNG or JPEG image');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new Error(`unreadable ${format.toUpperCase()}: ${shortReason(err)}`);
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (w * h > MAX_PIXELS) {
    throw new Error(`image is ${w}x${h} pixels, over the limit of ${MAX_PIXELS.toLocaleString('en-US')} pixels`);
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'error' })
      .flatten({ background: '#ffffff' })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`expected 1 channel after conversion, got ${info.channels}`);
    return {
      format,
      width: info.width,
      height: info.height,
      gray: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (err) {
    throw new Error(`unreadable ${format.toUpperCase()} (truncated or corrupt): ${shortReason(err)}`);
  }
}

function shortReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg
    .split('\n')[0]!
    .replace(/^Input (buffer|file) /, '')
    .slice(0, 200);
}

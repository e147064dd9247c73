import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { encodeGrayPng } from './png.js';
import { DEFAULT_CACHE_SIZE, preprocess } from './preprocess.js';

export interface Encoded {
  sha256: Buffer;
  /** The preprocessed training tensor, deflate-raw compressed; absent when the trainer derives it from the PNG. */
  cache?: Buffer;
  /** PNG bytes, when the source had none of its own (parquet rows). */
  png?: Buffer;
}

/**
 * Everything an import computes per image besides decoding: content hash,
 * training cache (unless `cache: false`), PNG.
 */
export function encodeImage(
  gray: Uint8Array,
  width: number,
  height: number,
  options: { png: boolean; cache?: boolean; hashOf?: Uint8Array; size?: number },
): Encoded {
  const sha256 = createHash('sha256')
    .update(options.hashOf ?? gray)
    .digest();
  // Mostly-black tensors deflate to about half; inflating 4 KB costs microseconds.
  const cache =
    options.cache === false
      ? undefined
      : deflateRawSync(preprocess(gray, width, height, options.size ?? DEFAULT_CACHE_SIZE), { level: 1 });
  return {
    sha256,
    ...(cache ? { cache } : {}),
    ...(options.png ? { png: encodeGrayPng(gray, width, height) } : {}),
  };
}

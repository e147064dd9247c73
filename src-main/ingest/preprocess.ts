/**
 * Turns a grayscale handwriting image (dark ink on light paper) into the
 * square training tensor: inverted (ink bright), cropped to the ink with a
 * margin, padded to a square, area-resampled to size x size.
 * The same function runs at import (cache) and in exported model cards'
 * description, so training and prediction see identical input.
 */
export const DEFAULT_CACHE_SIZE = 64;
/** Inverted pixel value above which a pixel counts as ink for cropping. */
const INK_THRESHOLD = 80;
const MARGIN = 0.06;

export function preprocess(gray: Uint8Array, width: number, height: number, size = DEFAULT_CACHE_SIZE): Uint8Array {
  if (gray.length !== width * height) throw new Error(`expected ${width * height} pixels, got ${gray.length}`);
  // Ink bounding box on the inverted image.
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (255 - gray[row + x]! > INK_THRESHOLD) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) {
    // Blank page: keep the whole image.
    x0 = 0;
    y0 = 0;
    x1 = width - 1;
    y1 = height - 1;
  }
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const side = Math.max(bw, bh) * (1 + 2 * MARGIN);
  // Square window centred on the ink box, in source coordinates.
  const cx = x0 + bw / 2;
  const cy = y0 + bh / 2;
  const left = cx - side / 2;
  const top = cy - side / 2;
  const scale = side / size;
  const out = new Uint8Array(size * size);
  // Area averaging with a box of `scale` source pixels per output pixel,
  // sampled on a sub-grid: exact enough for downscales and cheap.
  const taps = Math.max(1, Math.min(4, Math.ceil(scale)));
  const step = scale / taps;
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      let sum = 0;
      for (let ty = 0; ty < taps; ty++) {
        const sy = Math.floor(top + oy * scale + (ty + 0.5) * step);
        if (sy < 0 || sy >= height) continue;
        const row = sy * width;
        for (let tx = 0; tx < taps; tx++) {
          const sx = Math.floor(left + ox * scale + (tx + 0.5) * step);
          if (sx < 0 || sx >= width) continue;
          sum += 255 - gray[row + sx]!;
        }
      }
      out[oy * size + ox] = Math.round(sum / (taps * taps));
    }
  }
  return out;
}

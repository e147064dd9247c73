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
  // Ink bounding box: rows scanned once; columns narrowed to what lies outside the box found so far.
  const inkBelow = 255 - INK_THRESHOLD;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1;
    for (let x = 0; x < width; x++) {
      if (gray[row + x]! < inkBelow) {
        first = x;
        break;
      }
    }
    if (first < 0) continue;
    let last = first;
    for (let x = width - 1; x > first; x--) {
      if (gray[row + x]! < inkBelow) {
        last = x;
        break;
      }
    }
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
    if (y0 === height) y0 = y;
    y1 = y;
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
  const left = x0 + bw / 2 - side / 2;
  const top = y0 + bh / 2 - side / 2;
  const scale = side / size;
  // Area averaging with a box of `scale` source pixels per output pixel,
  // sampled on a taps x taps sub-grid; sample positions computed once per axis.
  const taps = Math.max(1, Math.min(4, Math.ceil(scale)));
  const step = scale / taps;
  const xs = new Int32Array(size * taps);
  const ys = new Int32Array(size * taps);
  for (let o = 0; o < size; o++) {
    for (let t = 0; t < taps; t++) {
      const sx = Math.floor(left + o * scale + (t + 0.5) * step);
      const sy = Math.floor(top + o * scale + (t + 0.5) * step);
      xs[o * taps + t] = sx >= 0 && sx < width ? sx : -1;
      ys[o * taps + t] = sy >= 0 && sy < height ? sy * width : -1;
    }
  }
  const out = new Uint8Array(size * size);
  const norm = 1 / (taps * taps);
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      let sum = 0;
      for (let ty = 0; ty < taps; ty++) {
        const row = ys[oy * taps + ty]!;
        if (row < 0) continue;
        for (let tx = 0; tx < taps; tx++) {
          const sx = xs[ox * taps + tx]!;
          if (sx >= 0) sum += 255 - gray[row + sx]!;
        }
      }
      out[oy * size + ox] = Math.round(sum * norm);
    }
  }
  return out;
}

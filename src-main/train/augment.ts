/**
 * Augmentation suited to handwriting, on one size x size image (ink bright):
 * a small random affine (rotation, scale, shear, shift) by inverse bilinear
 * mapping, stroke-width jitter (3x3 dilation or erosion), and cutout; the strong
 * set adds an elastic distortion (a coarse random displacement grid, as pen
 * wobble) and random erasing (a rectangle of noise).
 * Plain loops over typed arrays: a 64x64 image takes microseconds, so the
 * input pipeline never waits on it.
 */
export interface AugmentOptions {
  rotation: number; // radians, +-
  scale: number; // +- fraction
  shear: number; // +-
  shift: number; // +- fraction of the side
  dilate: number; // probability
  erode: number; // probability
  cutout: number; // probability
  elastic?: number; // probability
  elasticPixels?: number; // largest displacement of a grid point
  erase?: number; // probability
}

export const DEFAULT_AUGMENT: AugmentOptions = {
  rotation: (10 * Math.PI) / 180,
  scale: 0.1,
  shear: 0.15,
  shift: 0.06,
  dilate: 0.25,
  erode: 0.15,
  cutout: 0.5,
};

export const STRONG_AUGMENT: AugmentOptions = { ...DEFAULT_AUGMENT, elastic: 0.7, elasticPixels: 2.5, erase: 0.3 };

const sym = (random: () => number, a: number) => (random() * 2 - 1) * a;

/** Writes the augmented image (values 0..255 as floats) into `out`. */
export function augment(
  src: Uint8Array,
  size: number,
  out: Float32Array,
  random: () => number,
  o: AugmentOptions = DEFAULT_AUGMENT,
): void {
  const n = size * size;
  if (src.length !== n || out.length !== n) throw new Error(`augment: expected ${n} pixels`);
  const angle = sym(random, o.rotation);
  const s = 1 + sym(random, o.scale);
  const sh = sym(random, o.shear);
  const tx = sym(random, o.shift) * size;
  const ty = sym(random, o.shift) * size;
  // Forward map about the centre: p' = S * Sh * R * p + t; we sample with its inverse.
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const a = s * (cos + sh * sin);
  const b = s * (-sin + sh * cos);
  const c = s * sin;
  const d = s * cos;
  const det = a * d - b * c;
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  const half = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - half - tx;
      const dy = y - half - ty;
      const sx = ia * dx + ib * dy + half;
      const sy = ic * dx + id * dy + half;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const px = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= size || yy >= size ? 0 : src[yy * size + xx]!);
      out[y * size + x] =
        (px(x0, y0) * (1 - fx) + px(x0 + 1, y0) * fx) * (1 - fy) +
        (px(x0, y0 + 1) * (1 - fx) + px(x0 + 1, y0 + 1) * fx) * fy;
    }
  }
  const r = random();
  if (r < o.dilate) morph(out, size, Math.max);
  else if (r < o.dilate + o.erode) morph(out, size, Math.min);
  if (random() < o.cutout) {
    const side = Math.round(size * (0.15 + random() * 0.2));
    const cx = Math.floor(random() * (size - side + 1));
    const cy = Math.floor(random() * (size - side + 1));
    for (let y = cy; y < cy + side; y++) out.fill(0, y * size + cx, y * size + cx + side);
  }
  // Drawn only when enabled, so the default set's random sequence (and every image it makes) stays as it was.
  if (o.elastic && random() < o.elastic) elastic(out, size, random, o.elasticPixels ?? 2);
  if (o.erase && random() < o.erase) erase(out, size, random);
}

/** Displaces every pixel by a bilinear blend of a 5x5 grid of random offsets (in place). */
function elastic(img: Float32Array, size: number, random: () => number, pixels: number): void {
  const g = 4;
  const dx = Float32Array.from({ length: (g + 1) ** 2 }, () => sym(random, pixels));
  const dy = Float32Array.from({ length: (g + 1) ** 2 }, () => sym(random, pixels));
  const src = img.slice();
  const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= size || yy >= size ? 0 : src[yy * size + xx]!);
  const lerp2 = (a: Float32Array, gx: number, gy: number) => {
    const x0 = Math.min(g - 1, Math.floor(gx));
    const y0 = Math.min(g - 1, Math.floor(gy));
    const fx = gx - x0;
    const fy = gy - y0;
    const v = (i: number, j: number) => a[(y0 + j) * (g + 1) + x0 + i]!;
    return (v(0, 0) * (1 - fx) + v(1, 0) * fx) * (1 - fy) + (v(0, 1) * (1 - fx) + v(1, 1) * fx) * fy;
  };
  const scale = g / (size - 1);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = x + lerp2(dx, x * scale, y * scale);
      const sy = y + lerp2(dy, x * scale, y * scale);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      img[y * size + x] =
        (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) +
        (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
    }
  }
}

/** Random erasing: a rectangle (2-20% of the image, aspect 1:3 to 3:1) filled with faint noise. */
function erase(img: Float32Array, size: number, random: () => number): void {
  const area = size * size * (0.02 + random() * 0.18);
  const aspect = Math.exp(sym(random, Math.log(3)));
  const w = Math.max(1, Math.min(size, Math.round(Math.sqrt(area * aspect))));
  const h = Math.max(1, Math.min(size, Math.round(Math.sqrt(area / aspect))));
  const x0 = Math.floor(random() * (size - w + 1));
  const y0 = Math.floor(random() * (size - h + 1));
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) img[y * size + x] = random() * 96;
}

/** 3x3 max (thicker strokes) or min (thinner strokes), in place. */
function morph(img: Float32Array, size: number, op: (...v: number[]) => number): void {
  const src = img.slice();
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = src[y * size + x]!;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(size - 1, y + 1); yy++)
        for (let xx = Math.max(0, x - 1); xx <= Math.min(size - 1, x + 1); xx++) v = op(v, src[yy * size + xx]!);
      img[y * size + x] = v;
    }
  }
}

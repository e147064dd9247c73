/**
 * Augmentation suited to handwriting, on one size x size image (ink bright):
 * a small random affine (rotation, scale, shear, shift) by inverse bilinear
 * mapping, stroke-width jitter (3x3 dilation or erosion), and cutout.
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

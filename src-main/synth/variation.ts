/**
 * Handwriting-like variation of a shaped grapheme, then the same
 * preprocessing as a real image: the network must not be able to tell a
 * render from a scan by anything but the strokes. Everything is drawn from
 * one seeded `random`, so a render is a pure function of (entry, font, seed).
 */
import { preprocess } from '../ingest/preprocess.js';
import type { Font } from './fonts.js';
import { shape, type Glyphs } from './render.js';

export interface RenderSettings {
  /** Font size range, pixels per em. */
  px: [number, number];
  /** Rotation, radians (+-). */
  rotation: number;
  /** Horizontal shear (slant), +-. */
  slant: number;
  /** Independent x/y scale, +- fraction. */
  stretch: number;
  /** Elastic displacement amplitude, fraction of the em (+-), on a coarse grid. */
  elastic: number;
  /** Probability of a one-pixel thicker pen (regular faces) or thinner pen (bold faces, weight >= 600). */
  pen: number;
  /** Probability of one 3x3 blur pass (two with half of it). */
  blur: number;
  /** Probability of a fragment of a form-cell border near an edge. */
  border: number;
  /** Paper noise standard deviation range (grey levels). */
  noise: [number, number];
}

export const DEFAULT_RENDER: RenderSettings = {
  px: [40, 60],
  rotation: (8 * Math.PI) / 180,
  slant: 0.3,
  stretch: 0.15,
  elastic: 0.06,
  pen: 0.35,
  blur: 0.4,
  border: 0.12,
  noise: [1, 7],
};

const sym = (random: () => number, a: number) => (random() * 2 - 1) * a;
const between = (random: () => number, [lo, hi]: [number, number]) => lo + random() * (hi - lo);

/** Renders one labeled grapheme as a preprocessed size x size tensor (ink bright), like an imported image. */
export async function renderSample(
  text: string,
  font: Font,
  random: () => number,
  size: number,
  s: RenderSettings = DEFAULT_RENDER,
): Promise<Uint8Array> {
  const px = between(random, s.px);
  const glyphs = await shape(text, font, px);
  const { ink, width, height } = warp(glyphs, px, random, s);
  // Regular faces draw a thinner stroke than a pen, bold ones a thicker; erosion of thin strokes would erase them.
  if (random() < s.pen) morph(ink, width, height, font.weight >= 600 ? Math.min : Math.max);
  if (random() < s.blur) blur3(ink, width, height);
  if (random() < s.blur / 4) blur3(ink, width, height);
  const paper = toPaper(ink, width, height, random, s);
  return preprocess(paper, width, height, size);
}

/**
 * Rotation, slant, stretch and an elastic field on a 4x4 grid of random
 * displacements, applied by inverse bilinear mapping onto a padded canvas.
 */
function warp(g: Glyphs, px: number, random: () => number, s: RenderSettings): Glyphs {
  const pad = Math.ceil(0.3 * Math.max(g.width, g.height));
  const width = g.width + 2 * pad;
  const height = g.height + 2 * pad;
  const angle = sym(random, s.rotation);
  const shear = sym(random, s.slant);
  const sx = 1 + sym(random, s.stretch);
  const sy = 1 + sym(random, s.stretch);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // Forward: p' = R * Shear * Scale * p; inverse computed from the 2x2 matrix.
  const a = cos * sx;
  const b = (cos * shear - sin) * sy;
  const c = sin * sx;
  const d = (sin * shear + cos) * sy;
  const det = a * d - b * c;
  const [ia, ib, ic, id] = [d / det, -b / det, -c / det, a / det];
  const grid = 4;
  const amp = s.elastic * px;
  const dx = Float32Array.from({ length: grid * grid }, () => sym(random, amp));
  const dy = Float32Array.from({ length: grid * grid }, () => sym(random, amp));
  const field = (f: Float32Array, u: number, v: number) => {
    const gx = Math.min(u * (grid - 1), grid - 1.001);
    const gy = Math.min(v * (grid - 1), grid - 1.001);
    const x0 = Math.floor(gx);
    const y0 = Math.floor(gy);
    const fx = gx - x0;
    const fy = gy - y0;
    const at = (x: number, y: number) => f[y * grid + x]!;
    return (
      (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) +
      (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy
    );
  };
  const out = new Uint8Array(width * height);
  const cx = width / 2;
  const cy = height / 2;
  const src = (x: number, y: number) => (x < 0 || y < 0 || x >= g.width || y >= g.height ? 0 : g.ink[y * g.width + x]!);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / (width - 1);
      const v = y / (height - 1);
      const px0 = x - cx + field(dx, u, v);
      const py0 = y - cy + field(dy, u, v);
      const qx = ia * px0 + ib * py0 + g.width / 2 - 0.5;
      const qy = ic * px0 + id * py0 + g.height / 2 - 0.5;
      const x0 = Math.floor(qx);
      const y0 = Math.floor(qy);
      const fx = qx - x0;
      const fy = qy - y0;
      out[y * width + x] = Math.round(
        (src(x0, y0) * (1 - fx) + src(x0 + 1, y0) * fx) * (1 - fy) +
          (src(x0, y0 + 1) * (1 - fx) + src(x0 + 1, y0 + 1) * fx) * fy,
      );
    }
  }
  return { ink: out, width, height };
}

/** One pen-radius step over the 3x3 neighbourhood. */
function morph(img: Uint8Array, w: number, h: number, op: (a: number, b: number) => number): void {
  const src = img.slice();
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = src[y * w + x]!;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++)
        for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) v = op(v, src[yy * w + xx]!);
      img[y * w + x] = v;
    }
  }
}

function blur3(img: Uint8Array, w: number, h: number): void {
  const src = img.slice();
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      let n = 0;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++)
        for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
          sum += src[yy * w + xx]!;
          n++;
        }
      img[y * w + x] = Math.round(sum / n);
    }
  }
}

/** Dark ink on paper: paper tone with a slow shading and grain, ink of random darkness, maybe a cell border. */
function toPaper(ink: Uint8Array, w: number, h: number, random: () => number, s: RenderSettings): Uint8Array {
  const paper = 236 + random() * 18;
  const inkTone = 5 + random() * 55;
  const sigma = between(random, s.noise);
  const gx = sym(random, 12) / w;
  const gy = sym(random, 12) / h;
  const alpha = new Float32Array(w * h);
  // Antialiased edges at a gain: a pen line is solid, not grey.
  for (let i = 0; i < alpha.length; i++) alpha[i] = Math.min(1, (ink[i]! / 255) * 1.4);
  if (random() < s.border) drawBorder(alpha, w, h, random);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      // Sum of three uniforms: cheap, roughly Gaussian grain.
      const grain = (random() + random() + random() - 1.5) * 2 * sigma;
      const bg = Math.min(255, paper + gx * (x - w / 2) + gy * (y - h / 2) + grain);
      out[i] = Math.max(0, Math.min(255, Math.round(bg * (1 - alpha[i]!) + inkTone * alpha[i]!)));
    }
  }
  return out;
}

/** A printed cell border: a straight 1-3 px line along one edge, over part of it. */
function drawBorder(alpha: Float32Array, w: number, h: number, random: () => number): void {
  const horizontal = random() < 0.5;
  const long = horizontal ? w : h;
  const across = horizontal ? h : w;
  const at = random() < 0.5 ? Math.floor(random() * 4) : across - 1 - Math.floor(random() * 4);
  const thick = 1 + Math.floor(random() * 3);
  const start = Math.floor(random() * long * 0.5);
  const end = Math.min(long, start + Math.floor(long * (0.3 + random() * 0.7)));
  const strength = 0.5 + random() * 0.5;
  for (let t = 0; t < thick; t++) {
    const k = Math.max(0, Math.min(across - 1, at + (at < across / 2 ? t : -t)));
    for (let l = start; l < end; l++) {
      const i = horizontal ? k * w + l : l * w + k;
      alpha[i] = Math.max(alpha[i]!, strength);
    }
  }
}

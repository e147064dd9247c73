/**
 * predict.mjs, written into every ONNX export: a standalone example that
 * implements the model card's preprocessing from the card's numbers and runs
 * model.onnx with onnxruntime-node. It imports its packages only when run, so
 * its functions can be imported (and tested) without them.
 */
export const PREDICT_MJS = `#!/usr/bin/env node
// Predicts Bengali grapheme components with model.onnx, without Grapheme Studio.
//   npm install onnxruntime-node sharp
//   node predict.mjs [--json] [--probs] image.png [more.png ...]
// The preprocessing below follows model-card.json ("input.preprocessing").
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const card = JSON.parse(readFileSync(join(here, 'model-card.json'), 'utf8'));
export const labels = JSON.parse(readFileSync(join(here, 'labels.json'), 'utf8'));

/** 8-bit grayscale (dark ink on light paper) -> size x size uint8, ink bright. */
export function preprocess(gray, width, height, size = card.input.size) {
  const { inkThreshold, margin } = card.input.preprocessing;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (gray[y * width + x] < 255 - inkThreshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  if (x1 < 0) [x0, y0, x1, y1] = [0, 0, width - 1, height - 1];
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const side = Math.max(bw, bh) * (1 + 2 * margin);
  const left = x0 + bw / 2 - side / 2, top = y0 + bh / 2 - side / 2;
  const scale = side / size;
  const taps = Math.max(1, Math.min(4, Math.ceil(scale)));
  const step = scale / taps;
  const out = new Uint8Array(size * size);
  for (let oy = 0; oy < size; oy++)
    for (let ox = 0; ox < size; ox++) {
      let sum = 0;
      for (let ty = 0; ty < taps; ty++) {
        const sy = Math.floor(top + oy * scale + (ty + 0.5) * step);
        if (sy < 0 || sy >= height) continue;
        for (let tx = 0; tx < taps; tx++) {
          const sx = Math.floor(left + ox * scale + (tx + 0.5) * step);
          if (sx >= 0 && sx < width) sum += 255 - gray[sy * width + sx];
        }
      }
      out[oy * size + ox] = Math.round(sum / (taps * taps));
    }
  return out;
}

/** Preprocessed pixels of n images -> the model's float32 input, [n, 1, size, size]. */
export function toInput(pixels) {
  const { mean, std } = card.input.normalization;
  return Float32Array.from(pixels, (v) => (v / 255 - mean) / std);
}

export async function decodeGray(file) {
  const sharp = (await import('sharp')).default;
  const { data, info } = await sharp(file).flatten({ background: '#ffffff' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { gray: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Probabilities per head for image files: { file, root: Float32Array, vowel, consonant }[]. */
export async function predictFiles(files) {
  const ort = await import('onnxruntime-node');
  const size = card.input.size;
  const session = await ort.InferenceSession.create(join(here, 'model.onnx'));
  const pixels = new Uint8Array(files.length * size * size);
  for (const [i, f] of files.entries()) {
    const { gray, width, height } = await decodeGray(f);
    pixels.set(preprocess(gray, width, height, size), i * size * size);
  }
  const input = new ort.Tensor('float32', toInput(pixels), [files.length, 1, size, size]);
  const out = await session.run({ image: input });
  return files.map((file, i) => {
    const r = { file };
    for (const { name, classes } of card.outputs) r[name] = out[name].data.slice(i * classes, (i + 1) * classes);
    return r;
  });
}

const argmax = (p) => p.reduce((best, v, i) => (v > p[best] ? i : best), 0);

export function describe(r) {
  const ids = Object.fromEntries(card.outputs.map(({ name }) => [name, argmax(r[name])]));
  const glyph = (c) => labels[c][ids[c]].glyph;
  const grapheme = labels.compose.rule[String(ids.consonant)].replace('{root}', glyph('root')).replace('{vowel}', glyph('vowel'));
  return { ids, grapheme, prob: Object.fromEntries(card.outputs.map(({ name }) => [name, r[name][ids[name]]])) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const probs = args.includes('--probs');
  const files = args.filter((a) => !a.startsWith('--'));
  if (!files.length) {
    console.error('usage: node predict.mjs [--json] [--probs] image.png [more.png ...]');
    process.exit(2);
  }
  for (const r of await predictFiles(files)) {
    const d = describe(r);
    if (json) {
      const all = probs ? Object.fromEntries(card.outputs.map(({ name }) => [name, Array.from(r[name])])) : {};
      console.log(JSON.stringify({ file: r.file, ...d, ...(probs ? { probs: all } : {}) }));
    } else {
      const p = card.outputs.map(({ name }) => name + ' ' + d.ids[name] + ' (' + (100 * d.prob[name]).toFixed(1) + '%)').join(', ');
      console.log(r.file + ': ' + d.grapheme + '  ' + p);
    }
  }
}
`;

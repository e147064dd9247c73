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
// model.onnx outputs probabilities per head (softmax applied), as tfjs/model.json does.
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
  const norm = 1 / (taps * taps);
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
      out[oy * size + ox] = Math.round(sum * norm);
    }
  return out;
}

/** Preprocessed pixels of n images -> the model's float32 input, [n, 1, size, size]. */
export function toInput(pixels) {
  const { mean, std } = card.input.normalization;
  // (v / 255 - mean) / std, computed as the trainer does (same rounding).
  const scale = 1 / (255 * std);
  const shift = mean / std;
  return Float32Array.from(pixels, (v) => v * scale - shift);
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

/**
 * predict.py: the same as predict.mjs for Python (numpy, Pillow, onnxruntime).
 * Pillow converts colour to gray with ITU-R 601 luma, sharp with its own
 * luminance: on colour images a pixel may differ by a gray level.
 */
export const PREDICT_PY = `#!/usr/bin/env python3
"""Predicts Bengali grapheme components with model.onnx, without Grapheme Studio.

    pip install numpy pillow onnxruntime
    python predict.py [--json] [--probs] image.png [more.png ...]

The preprocessing follows model-card.json ("input.preprocessing").
model.onnx outputs probabilities per head (softmax applied), as tfjs/model.json does.
"""
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "model-card.json"), encoding="utf-8") as f:
    CARD = json.load(f)
with open(os.path.join(HERE, "labels.json"), encoding="utf-8") as f:
    LABELS = json.load(f)


def preprocess(gray, size=None):
    """uint8 array [height, width], dark ink on light paper -> uint8 [size, size], ink bright."""
    size = size or CARD["input"]["size"]
    pre = CARD["input"]["preprocessing"]
    height, width = gray.shape
    ink = gray < 255 - pre["inkThreshold"]
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        x0, y0, x1, y1 = 0, 0, width - 1, height - 1
    else:
        x0, x1, y0, y1 = int(cols[0]), int(cols[-1]), int(rows[0]), int(rows[-1])
    bw, bh = x1 - x0 + 1, y1 - y0 + 1
    side = max(bw, bh) * (1 + 2 * pre["margin"])
    left = x0 + bw / 2 - side / 2
    top = y0 + bh / 2 - side / 2
    scale = side / size
    taps = max(1, min(4, math.ceil(scale)))
    step = scale / taps
    o = np.arange(size, dtype=np.float64)[:, None]
    t = np.arange(taps, dtype=np.float64)[None, :]
    xs = np.floor(left + o * scale + (t + 0.5) * step).astype(np.int64).ravel()
    ys = np.floor(top + o * scale + (t + 0.5) * step).astype(np.int64).ravel()
    inverted = np.zeros((height + 1, width + 1), dtype=np.float64)
    inverted[:height, :width] = 255 - gray.astype(np.float64)
    # Samples outside the image read the zero row/column (paper).
    xs = np.where((xs >= 0) & (xs < width), xs, width)
    ys = np.where((ys >= 0) & (ys < height), ys, height)
    samples = inverted[ys][:, xs].reshape(size, taps, size, taps)
    total = samples.sum(axis=(1, 3))
    return np.floor(total * (1 / (taps * taps)) + 0.5).astype(np.uint8)


def to_input(pixels):
    """uint8 [n, size, size] -> float32 [n, 1, size, size], as the trainer scales it."""
    norm = CARD["input"]["normalization"]
    x = pixels.astype(np.float64) * (1 / (255 * norm["std"])) - norm["mean"] / norm["std"]
    return x.astype(np.float32)[:, None, :, :]


def decode_gray(path):
    from PIL import Image

    img = Image.open(path)
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img)
    return np.asarray(img.convert("L"), dtype=np.uint8)


def predict_files(files):
    import onnxruntime as ort

    session = ort.InferenceSession(os.path.join(HERE, "model.onnx"), providers=["CPUExecutionProvider"])
    pixels = np.stack([preprocess(decode_gray(f)) for f in files])
    names = [o["name"] for o in CARD["outputs"]]
    outputs = session.run(names, {"image": to_input(pixels)})
    return [{"file": f, **{n: out[i] for n, out in zip(names, outputs)}} for i, f in enumerate(files)]


def describe(r):
    ids = {o["name"]: int(np.argmax(r[o["name"]])) for o in CARD["outputs"]}
    glyph = lambda c: LABELS[c][ids[c]]["glyph"]
    rule = LABELS["compose"]["rule"][str(ids["consonant"])]
    grapheme = rule.replace("{root}", glyph("root")).replace("{vowel}", glyph("vowel"))
    prob = {n: float(r[n][ids[n]]) for n in ids}
    return {"ids": ids, "grapheme": grapheme, "prob": prob}


def main(argv):
    files = [a for a in argv if not a.startswith("--")]
    if not files:
        print("usage: python predict.py [--json] [--probs] image.png [more.png ...]", file=sys.stderr)
        return 2
    for r in predict_files(files):
        d = describe(r)
        if "--json" in argv:
            if "--probs" in argv:
                d["probs"] = {o["name"]: r[o["name"]].tolist() for o in CARD["outputs"]}
            print(json.dumps({"file": r["file"], **d}, ensure_ascii=False))
        else:
            p = ", ".join(f"{n} {d['ids'][n]} ({100 * d['prob'][n]:.1f}%)" for n in d["ids"])
            print(f"{r['file']}: {d['grapheme']}  {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
`;

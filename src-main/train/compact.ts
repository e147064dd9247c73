/**
 * Packs a checkpoint into the compact form shipped with the app: the same
 * TF.js LayersModel, with large kernels stored as uint8 (affine, per tensor)
 * and everything else (batch norm, biases, small kernels) as float16, both
 * dequantized natively by tfjs when it loads the weight manifest. No
 * optimizer state. About a quarter of the float32 size.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CheckpointFile, checkpointPath, sha256Of } from '../store/checkpoint-path.js';

interface Spec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: 'uint8' | 'float16'; min?: number; scale?: number };
}

/** Kernels with at least this many values go to uint8; fewer gain little and lose more. */
const UINT8_MIN_VALUES = 4096;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** IEEE half from a float, rounded to nearest even; overflow to infinity, underflow through subnormals. */
export function toFloat16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

function quantize(values: Float32Array, spec: Spec): { bytes: Buffer; spec: Spec } {
  if (spec.name.endsWith('/kernel') && values.length >= UINT8_MIN_VALUES) {
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const scale = max > min ? (max - min) / 255 : 1;
    const q = Uint8Array.from(values, (v) => Math.round((v - min) / scale));
    return { bytes: Buffer.from(q.buffer), spec: { ...spec, quantization: { dtype: 'uint8', min, scale } } };
  }
  const h = Uint16Array.from(values, toFloat16);
  return { bytes: Buffer.from(h.buffer), spec: { ...spec, quantization: { dtype: 'float16' } } };
}

/** Writes the compact copy of the checkpoint in `from` to `to` (replaced whole); returns its weight bytes. */
export function packCheckpoint(from: string, to: string): { bytes: number; float32Bytes: number } {
  const src = checkpointPath(from);
  if (!src) throw new Error(`no checkpoint in ${from}`);
  const json = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
  const specs = json.weightsManifest[0].weights as Spec[];
  const raw = readFileSync(join(src, 'weights.bin'));
  let offset = 0;
  const parts: Buffer[] = [];
  const packed: Spec[] = [];
  for (const spec of specs) {
    if (spec.dtype !== 'float32' || spec.quantization)
      throw new Error(`${src}: weight ${spec.name} is not plain float32`);
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset + offset, raw.byteOffset + offset + n * 4));
    offset += n * 4;
    const q = quantize(values, spec);
    parts.push(q.bytes);
    packed.push(q.spec);
  }
  const tmp = `${to}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const weights = Buffer.concat(parts);
  writeFileSync(join(tmp, 'weights.bin'), weights);
  writeFileSync(
    join(tmp, 'model.json'),
    JSON.stringify({ ...json, weightsManifest: [{ paths: ['weights.bin'], weights: packed }] }),
  );
  // The source's file list describes its float32 files and optimizer state: list the packed files instead,
  // so the compact checkpoint is checked like any other (truncation, corruption).
  const state = JSON.parse(readFileSync(join(src, 'state.json'), 'utf8')) as Record<string, unknown>;
  const files: Record<string, CheckpointFile> = {};
  for (const name of ['model.json', 'weights.bin']) {
    const path = join(tmp, name);
    files[name] = { bytes: statSync(path).size, sha256: sha256Of(path) };
  }
  writeFileSync(join(tmp, 'state.json'), JSON.stringify({ ...state, files }, null, 1));
  rmSync(to, { recursive: true, force: true });
  renameSync(tmp, to);
  return { bytes: weights.length, float32Bytes: raw.length };
}

/**
 * Shared by the wgsl engine's tests: one Dawn device (lavapipe here, a real
 * GPU where there is one), or the reason there is none, printed once so a
 * skipped run says why.
 */
import { toFloat16 } from '../../../../src-main/train/compact.js';
import { openGpu, type GpuContext } from '../../../../src-main/train/webgpu/device.js';
import { makeDispatch, runOnce, type KernelSource, DIMS_BYTES } from '../../../../src-main/train/webgpu/kernel.js';

export async function tryGpu(): Promise<{ ctx: GpuContext | null; reason: string }> {
  try {
    // The reference kernels: the f16 and subgroup variants are tested against them (variants.test.ts).
    const ctx = await openGpu({ precision: 'f32' });
    return { ctx, reason: '' };
  } catch (err) {
    const reason = (err as Error).message;
    console.log(`wgsl engine tests skipped: ${reason}`);
    return { ctx: null, reason };
  }
}

/** Seeded uniform values in [-1, 1). */
export function randomArray(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Uploads the arrays, runs one kernel for batch `n`, returns every buffer's contents afterwards. */
export async function runKernel(
  ctx: GpuContext,
  src: KernelSource,
  n: number,
  inputs: (Float32Array | Uint32Array | number)[],
  dimsExtra: [number, number, number] = [0, 0, 0],
): Promise<Float32Array[]> {
  const dims = ctx.buffer('dims', DIMS_BYTES, GPUBufferUsage.UNIFORM);
  const d = new ArrayBuffer(DIMS_BYTES);
  new Uint32Array(d, 0, 1)[0] = n;
  new Float32Array(d, 4, 3).set(dimsExtra);
  ctx.write(dims, new Uint32Array(d));
  const buffers = inputs.map((a, i) => {
    const floats = typeof a === 'number' ? a : a.length;
    const b = ctx.buffer(`in${i}`, floats * 4);
    if (typeof a !== 'number') ctx.write(b, a);
    return { b, floats };
  });
  await runOnce(
    ctx,
    [
      makeDispatch(
        ctx,
        src,
        dims,
        buffers.map((x) => x.b),
      ),
    ],
    n,
  );
  const out = await Promise.all(buffers.map(({ b, floats }) => ctx.read(b, floats * 4)));
  for (const { b } of buffers) b.destroy();
  dims.destroy();
  return out;
}

/** Largest |got - want| relative to the largest |want| (1 when want is all zero). */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length < want.length) throw new Error(`got ${got.length} values, want ${want.length}`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(got[i]!)) return Infinity;
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return err / Math.max(scale, 1e-30);
}

/**
 * Runs several kernels in one submit over named buffers (arrays are uploaded, numbers are
 * zeroed buffers of that many floats); returns every buffer's contents afterwards.
 */
export async function runGraph(
  ctx: GpuContext,
  n: number,
  named: Record<string, Float32Array | Uint32Array | number>,
  steps: [KernelSource, string[]][],
  dimsExtra: [number, number, number] = [0, 0, 0],
): Promise<Record<string, Float32Array>> {
  const dims = ctx.buffer('dims', DIMS_BYTES, GPUBufferUsage.UNIFORM);
  const d = new ArrayBuffer(DIMS_BYTES);
  new Uint32Array(d, 0, 1)[0] = n;
  new Float32Array(d, 4, 3).set(dimsExtra);
  ctx.write(dims, new Uint32Array(d));
  const bufs = new Map<string, { b: GPUBuffer; floats: number }>();
  for (const [name, a] of Object.entries(named)) {
    const floats = typeof a === 'number' ? a : a.length;
    const b = ctx.buffer(name, floats * 4);
    if (typeof a !== 'number') ctx.write(b, a);
    bufs.set(name, { b, floats });
  }
  const get = (name: string) => {
    const x = bufs.get(name);
    if (!x) throw new Error(`no buffer ${name}`);
    return x.b;
  };
  await runOnce(
    ctx,
    steps.map(([src, names]) => makeDispatch(ctx, src, dims, names.map(get))),
    n,
  );
  const out: Record<string, Float32Array> = {};
  for (const [name, { b, floats }] of bufs) out[name] = await ctx.read(b, floats * 4);
  for (const { b } of bufs.values()) b.destroy();
  dims.destroy();
  return out;
}

/**
 * The f16 nearest to v (round to nearest even), as its 16 bits: the checkpoint compactor's
 * conversion (compact.ts, pinned in init.test.ts), so the f16 kernels are checked against the same
 * rounding the app writes f16 weights with.
 */
export const halfOf = toFloat16;

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** The values rounded to f16 (what an f16 buffer of them holds), as f32. */
export const roundHalf = (a: Float32Array) => Float32Array.from(a, (v) => halfToFloat(halfOf(v)));

/** An f16 buffer's bytes for the values, two to a u32 (uploads must be whole words). */
export function packHalf(a: Float32Array): Uint32Array {
  const h = new Uint16Array(a.length + (a.length % 2));
  a.forEach((v, i) => (h[i] = halfOf(v)));
  return new Uint32Array(h.buffer);
}

/** The first `n` values of an f16 buffer read back with ctx.read. */
export function unpackHalf(raw: Float32Array, n: number): Float32Array {
  const h = new Uint16Array(raw.buffer, raw.byteOffset, n);
  return Float32Array.from(h, halfToFloat);
}

/**
 * Training kernels the wasm backend lacks or runs slowly. Stock
 * @tensorflow/tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter ("Kernel
 * 'Conv2DBackpropFilter' not registered for backend 'wasm'") and a
 * Conv2DBackpropInput about 4x slower than a forward convolution. Both are
 * written here around the backend's own XNNPACK kernels, which do the
 * arithmetic: the filter gradient as im2col + matrix multiply, the input
 * gradient as a forward convolution with the rotated filter. Its MaxPoolGrad
 * disagrees with the cpu reference (checked in test/unit/train), so it is
 * replaced as well.
 */
import * as tf from '@tensorflow/tfjs';

type TensorInfo = tf.TensorInfo;
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  disposeData(dataId: unknown, force?: boolean): boolean;
}
type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function matMul(backend: WasmBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean) {
  const kernel = tf.getKernel('BatchMatMul', 'wasm');
  if (!kernel) throw new Error('the wasm backend has no BatchMatMul kernel');
  return kernel.kernelFunc({
    inputs: { a, b },
    attrs: { transposeA, transposeB },
    backend: backend as never,
  }) as TensorInfo;
}

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs) {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`wasm training kernels support NHWC only, got ${attrs.dataFormat}`);
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** im2col: copies the receptive field of every output position into one row of `cols` ([B*OH*OW, KH*KW*CI]). */
function im2col(c: tf.backend_util.Conv2DInfo, x: Float32Array, cols: Float32Array): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW } = c;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = c;
  const top = c.padInfo.top;
  const left = c.padInfo.left;
  const width = KH * KW * CI;
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const rowBase = ((b * OH + oh) * OW + ow) * width;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH - top + kh;
          const rowInside = ih >= 0 && ih < H;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW - left + kw;
            const at = rowBase + (kh * KW + kw) * CI;
            if (!rowInside || iw < 0 || iw >= W) {
              cols.fill(0, at, at + CI);
              continue;
            }
            const xAt = ((b * H + ih) * W + iw) * CI;
            cols.set(x.subarray(xAt, xAt + CI), at);
          }
        }
      }
}

const rows = (c: tf.backend_util.Conv2DInfo) => c.batchSize * c.outHeight * c.outWidth;
const as3d = (t: TensorInfo, r: number, k: number): TensorInfo => ({
  dataId: t.dataId,
  shape: [1, r, k],
  dtype: t.dtype,
});

function kernel(name: string) {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`the wasm backend has no ${name} kernel`);
  return k.kernelFunc;
}

/**
 * dW = im2col(x)^T . dy. XNNPACK multiplies a transposed operand about 8x
 * slower, so the patch matrix is transposed first (one fast copy in wasm).
 */
function backpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
  const c = convInfo(x.shape, attrs.filterShape, attrs);
  const width = c.filterHeight * c.filterWidth * c.inChannels;
  const cols = backend.makeOutput([1, rows(c), width], 'float32');
  // Views on the wasm heap go stale when it grows: take them after every allocation.
  im2col(c, backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(cols));
  const colsT = kernel('Transpose')({
    inputs: { x: cols },
    attrs: { perm: [0, 2, 1] },
    backend: backend as never,
  }) as TensorInfo;
  backend.disposeData(cols.dataId, true);
  const dw = matMul(backend, colsT, as3d(dy, rows(c), c.outChannels), false, false);
  backend.disposeData(colsT.dataId, true);
  return { dataId: dw.dataId, shape: attrs.filterShape, dtype: 'float32' as const };
}

/**
 * dx as a forward convolution (XNNPACK's fastest path): dy, spread out by the
 * stride with zeros, correlated with the filter rotated 180 degrees and its
 * channel axes swapped, padded so that the output has the input's size.
 */
function backpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
  const c = convInfo(attrs.inputShape, filter.shape, attrs);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outChannels: CO } = c;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW, outHeight: OH, outWidth: OW } = c;
  const spreadH = (OH - 1) * SH + 1;
  const spreadW = (OW - 1) * SW + 1;
  const top = KH - 1 - c.padInfo.top;
  const left = KW - 1 - c.padInfo.left;
  const bottom = H + KH - 1 - spreadH - top;
  const right = W + KW - 1 - spreadW - left;
  if (top < 0 || left < 0 || bottom < 0 || right < 0)
    throw new Error(`wasm Conv2DBackpropInput: unsupported padding ${JSON.stringify(c.padInfo)}`);

  const flipped = backend.makeOutput([KH, KW, CO, CI], 'float32');
  let spread: TensorInfo = dy;
  if (SH > 1 || SW > 1) spread = backend.makeOutput([B, spreadH, spreadW, CO], 'float32');
  const w = backend.typedArrayFromHeap(filter);
  const f = backend.typedArrayFromHeap(flipped);
  for (let kh = 0; kh < KH; kh++)
    for (let kw = 0; kw < KW; kw++)
      for (let ci = 0; ci < CI; ci++)
        for (let co = 0; co < CO; co++)
          f[((kh * KW + kw) * CO + co) * CI + ci] = w[(((KH - 1 - kh) * KW + (KW - 1 - kw)) * CI + ci) * CO + co]!;
  if (spread !== dy) {
    const src = backend.typedArrayFromHeap(dy);
    const dst = backend.typedArrayFromHeap(spread);
    dst.fill(0);
    for (let b = 0; b < B; b++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const from = ((b * OH + oh) * OW + ow) * CO;
          dst.set(src.subarray(from, from + CO), ((b * spreadH + oh * SH) * spreadW + ow * SW) * CO);
        }
  }
  const dx = kernel('Conv2D')({
    inputs: { x: spread, filter: flipped },
    attrs: {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
    } as never,
    backend: backend as never,
  }) as TensorInfo;
  backend.disposeData(flipped.dataId, true);
  if (spread !== dy) backend.disposeData(spread.dataId, true);
  return dx;
}

/** Gradient of max-pooling: each output's gradient goes to the first maximum of its window. */
function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) {
  const backend = args.backend as WasmBackend;
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const a = args.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const c = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
  const out = backend.typedArrayFromHeap(dx);
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  out.fill(0);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = c;
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let ch = 0; ch < C; ch++) {
          let best = -1;
          let bestV = -Infinity;
          for (let kh = 0; kh < c.filterHeight; kh++) {
            const ih = oh * c.strideHeight - c.padInfo.top + kh;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < c.filterWidth; kw++) {
              const iw = ow * c.strideWidth - c.padInfo.left + kw;
              if (iw < 0 || iw >= W) continue;
              const at = ((b * H + ih) * W + iw) * C + ch;
              if (x[at]! > bestV) {
                bestV = x[at]!;
                best = at;
              }
            }
          }
          if (best >= 0) out[best]! += g[((b * OH + oh) * OW + ow) * C + ch]!;
        }
  return dx;
}

let registered = false;

/** Registers (or replaces) the two kernels on the wasm backend; call before setBackend('wasm'). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const kernelName of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad']) {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
  }
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: backpropFilter as never });
  tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: backpropInput as never });
  tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad as never });
  registered = true;
}

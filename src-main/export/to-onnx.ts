/**
 * TF.js LayersModel (channels-last) -> ONNX graph (NCHW), walking the
 * model's layers and inbound nodes, so any arch or width the factory builds
 * converts. Shapes are inferred along the way: 'same' padding becomes
 * explicit pads exactly as TensorFlow places them (the odd pixel at the end).
 * A convolution followed only by its batch normalization is folded into one
 * Conv (weights computed in double precision). The heads get a Softmax, so
 * the ONNX outputs are probabilities.
 */
import { AppError } from '../contract/envelope.js';
import { layerWeight, type KerasLayer, type LayersModelFiles, type Weight } from './layers-model.js';
import type { OnnxNode, OnnxTensor, OnnxValue } from './onnx-proto.js';

/** Per-sample shape in ONNX layout: [C, H, W] for images, [F] for features. */
type Shape = number[];
interface Value {
  name: string;
  shape: Shape;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
}

const unsupported = (l: KerasLayer, what: string) =>
  new AppError('bad_input', `layer ${l.name} (${l.className}) cannot be exported to ONNX: ${what}`);

const pair = (v: unknown, l: KerasLayer, key: string): [number, number] => {
  const a = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(a) || a.length !== 2 || !a.every((n) => Number.isInteger(n))) throw unsupported(l, `bad ${key}`);
  return [a[0] as number, a[1] as number];
};

/** TensorFlow's SAME padding along one axis: [before, after, output size]. */
function samePad(size: number, kernel: number, stride: number, dilation: number): [number, number, number] {
  const eff = (kernel - 1) * dilation + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + eff - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2), out];
}

function windowAttrs(
  l: KerasLayer,
  shape: Shape,
  kernel: [number, number],
  strides: [number, number],
  dil: [number, number],
) {
  const [, h, w] = shape as [number, number, number];
  const padding = l.config.padding;
  if (padding !== 'same' && padding !== 'valid') throw unsupported(l, `padding ${String(padding)}`);
  if (padding === 'same') {
    const [t, b, oh] = samePad(h, kernel[0], strides[0], dil[0]);
    const [le, r, ow] = samePad(w, kernel[1], strides[1], dil[1]);
    return { pads: [t, le, b, r], out: [oh, ow] };
  }
  const oh = Math.floor((h - ((kernel[0] - 1) * dil[0] + 1)) / strides[0]) + 1;
  const ow = Math.floor((w - ((kernel[1] - 1) * dil[1] + 1)) / strides[1]) + 1;
  return { pads: [0, 0, 0, 0], out: [oh, ow] };
}

class Builder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private seq = 0;

  constant(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  node(op: string, inputs: string[], output: string, attrs?: OnnxNode['attrs']): string {
    this.nodes.push({ op, inputs, outputs: [output], name: `${op}_${this.seq++}`, ...(attrs ? { attrs } : {}) });
    return output;
  }
}

function need(model: LayersModelFiles, l: KerasLayer, param: string, shape: number[]): Weight {
  const w = layerWeight(model, l.name, param);
  if (!w) throw new AppError('bad_input', `model.json: layer ${l.name} has no weight ${param}`);
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]))
    throw new AppError(
      'bad_input',
      `model.json: weight ${l.name}/${param} has shape [${w.shape}], the layer needs [${shape}]`,
    );
  return w;
}

/** HWIO (tfjs) -> OIHW (ONNX). */
function toOihw(k: Float32Array, kh: number, kw: number, ci: number, co: number): Float64Array {
  const out = new Float64Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = k[((y * kw + x) * ci + i) * co + o]!;
  return out;
}

/** Batch normalization as y = x * scale + shift per channel, in double precision. */
function bnAffine(model: LayersModelFiles, l: KerasLayer, c: number) {
  const axis = l.config.axis;
  if (axis !== -1 && axis !== 3 && !(Array.isArray(axis) && (axis[0] === -1 || axis[0] === 3)))
    throw unsupported(l, `axis ${JSON.stringify(axis)} (only the channel axis)`);
  const eps = Number(l.config.epsilon ?? 1e-3);
  const gamma = l.config.scale === false ? null : need(model, l, 'gamma', [c]).data;
  const beta = l.config.center === false ? null : need(model, l, 'beta', [c]).data;
  const mean = need(model, l, 'moving_mean', [c]).data;
  const variance = need(model, l, 'moving_variance', [c]).data;
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = (gamma ? gamma[i]! : 1) / Math.sqrt(variance[i]! + eps);
    shift[i] = (beta ? beta[i]! : 0) - mean[i]! * scale[i]!;
  }
  return { scale, shift };
}

const ACTIVATIONS: Record<string, string> = {
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  softmax: 'Softmax',
  elu: 'Elu',
};

/** Orders layers so that each comes after the layers it reads. */
function topoSort(layers: KerasLayer[]): KerasLayer[] {
  const done = new Set<string>();
  const out: KerasLayer[] = [];
  let pending = layers;
  while (pending.length) {
    const next = pending.filter((l) => !l.inbound.every(([n]) => done.has(n)));
    const ready = pending.filter((l) => l.inbound.every(([n]) => done.has(n)));
    if (!ready.length)
      throw new AppError('bad_input', `model.json: layers ${next.map((l) => l.name).join(', ')} read unknown layers`);
    for (const l of ready) {
      done.add(l.name);
      out.push(l);
    }
    pending = next;
  }
  return out;
}

export interface ConvertOptions {
  /** Names of the probability outputs, in the model's output order. */
  outputNames: readonly string[];
  inputName?: string;
}

/** Converts the layers graph; throws AppError('bad_input') on a layer or weight it cannot map. */
export function convertLayersModel(model: LayersModelFiles, opts: ConvertOptions): OnnxGraph {
  const b = new Builder();
  const values = new Map<string, Value>();
  const consumers = new Map<string, number>();
  for (const l of model.layers) for (const [n] of l.inbound) consumers.set(n, (consumers.get(n) ?? 0) + 1);
  for (const [n] of model.outputs) consumers.set(n, (consumers.get(n) ?? 0) + 1);
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const folded = new Set<string>();
  const inputs: OnnxValue[] = [];

  const activation = (l: KerasLayer, v: Value, act: unknown, out: string): Value => {
    const a = String(act ?? 'linear');
    if (a === 'linear') return v;
    const op = ACTIVATIONS[a];
    if (!op) throw unsupported(l, `activation ${a}`);
    return { name: b.node(op, [v.name], out, op === 'Softmax' ? { axis: 1 } : undefined), shape: v.shape };
  };

  for (const l of topoSort(model.layers)) {
    if (folded.has(l.name)) continue;
    const ins = l.inbound.map(([n]) => values.get(n)!);
    const x = ins[0]!;
    const c = l.config;
    const hasAct = c.activation !== undefined && c.activation !== 'linear';
    const pre = hasAct ? `${l.name}/linear` : l.name;
    let v: Value;
    switch (l.className) {
      case 'InputLayer': {
        const shape = (c.batch_input_shape ?? c.batchInputShape) as (number | null)[];
        if (!Array.isArray(shape) || shape.length !== 4) throw unsupported(l, 'only image inputs [batch, H, W, C]');
        const [, h, w, ch] = shape as number[];
        const name = opts.inputName ?? l.name;
        inputs.push({ name, shape: ['batch', ch!, h!, w!] });
        v = { name, shape: [ch!, h!, w!] };
        break;
      }
      case 'Conv2D': {
        if (c.data_format && c.data_format !== 'channels_last') throw unsupported(l, 'channels_first');
        if (x.shape.length !== 3) throw unsupported(l, 'input is not an image');
        const k = pair(c.kernel_size, l, 'kernel_size');
        const s = pair(c.strides ?? 1, l, 'strides');
        const d = pair(c.dilation_rate ?? 1, l, 'dilation_rate');
        const ci = x.shape[0]!;
        const co = Number(c.filters);
        const kernel = toOihw(need(model, l, 'kernel', [k[0], k[1], ci, co]).data, k[0], k[1], ci, co);
        const bias = new Float64Array(co);
        if (c.use_bias !== false) bias.set(need(model, l, 'bias', [co]).data);
        // Fold the batch normalization that alone reads this convolution.
        const reader = model.layers.filter((m) => m.inbound.some(([n]) => n === l.name));
        const bn =
          !hasAct && consumers.get(l.name) === 1 && reader[0]?.className === 'BatchNormalization' ? reader[0] : null;
        let outName = pre;
        if (bn) {
          const { scale, shift } = bnAffine(model, bn, co);
          const per = kernel.length / co;
          for (let o = 0; o < co; o++) {
            for (let j = 0; j < per; j++) kernel[o * per + j]! *= scale[o]!;
            bias[o] = bias[o]! * scale[o]! + shift[o]!;
          }
          folded.add(bn.name);
          outName = bn.name;
        }
        const { pads, out } = windowAttrs(l, x.shape, k, s, d);
        const w = b.constant(`${l.name}/kernel`, [co, ci, k[0], k[1]], Float32Array.from(kernel));
        const bi = b.constant(`${l.name}/bias`, [co], Float32Array.from(bias));
        b.node('Conv', [x.name, w, bi], outName, { kernel_shape: k, strides: s, dilations: d, pads, group: 1 });
        v = { name: outName, shape: [co, out[0]!, out[1]!] };
        if (bn) {
          values.set(bn.name, v);
          continue;
        }
        v = activation(l, v, c.activation, l.name);
        break;
      }
      case 'BatchNormalization': {
        const ch = x.shape[0]!;
        const { scale, shift } = bnAffine(model, l, ch);
        // Per-channel affine as Mul + Add with [C, 1, 1] (or [C]) constants broadcast over the map.
        const dims = x.shape.length === 3 ? [ch, 1, 1] : [ch];
        const sc = b.constant(`${l.name}/scale`, dims, Float32Array.from(scale));
        const sh = b.constant(`${l.name}/shift`, dims, Float32Array.from(shift));
        const m = b.node('Mul', [x.name, sc], `${l.name}/scaled`);
        v = { name: b.node('Add', [m, sh], l.name), shape: x.shape };
        break;
      }
      case 'Activation':
        v = activation(l, x, c.activation, l.name);
        if (v === x) v = { name: b.node('Identity', [x.name], l.name), shape: x.shape };
        break;
      case 'ReLU':
        if (c.max_value != null || (c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0)
          throw unsupported(l, 'only plain ReLU');
        v = { name: b.node('Relu', [x.name], l.name), shape: x.shape };
        break;
      case 'Dropout':
      case 'SpatialDropout2D':
        v = { name: b.node('Identity', [x.name], l.name), shape: x.shape };
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const k = pair(c.pool_size, l, 'pool_size');
        const s = pair(c.strides ?? c.pool_size, l, 'strides');
        const { pads, out } = windowAttrs(l, x.shape, k, s, [1, 1]);
        // TensorFlow's average pooling leaves padding out of the mean.
        const attrs: Record<string, number> = l.className === 'MaxPooling2D' ? {} : { count_include_pad: 0 };
        const op = l.className === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
        b.node(op, [x.name], l.name, { kernel_shape: k, strides: s, pads, ...attrs });
        v = { name: l.name, shape: [x.shape[0]!, out[0]!, out[1]!] };
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        if (c.keepdims || c.keep_dims) throw unsupported(l, 'keepdims');
        const op = l.className === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool';
        const p = b.node(op, [x.name], `${l.name}/pooled`);
        v = { name: b.node('Flatten', [p], l.name, { axis: 1 }), shape: [x.shape[0]!] };
        break;
      }
      case 'Flatten': {
        // Keras flattens channels-last: transpose back to NHWC before flattening.
        const src =
          x.shape.length === 3 ? b.node('Transpose', [x.name], `${l.name}/nhwc`, { perm: [0, 2, 3, 1] }) : x.name;
        v = { name: b.node('Flatten', [src], l.name, { axis: 1 }), shape: [x.shape.reduce((a, n) => a * n, 1)] };
        break;
      }
      case 'Dense': {
        if (x.shape.length !== 1) throw unsupported(l, 'input is not a feature vector');
        const units = Number(c.units);
        const kernel = need(model, l, 'kernel', [x.shape[0]!, units]);
        const w = b.constant(`${l.name}/kernel`, [x.shape[0]!, units], kernel.data);
        const inputs = [x.name, w];
        if (c.use_bias !== false)
          inputs.push(b.constant(`${l.name}/bias`, [units], need(model, l, 'bias', [units]).data));
        b.node('Gemm', inputs, pre);
        v = activation(l, { name: pre, shape: [units] }, c.activation, l.name);
        break;
      }
      case 'Add':
        if (ins.some((i) => i.shape.join() !== x.shape.join())) throw unsupported(l, 'inputs of different shapes');
        v = {
          name: b.node(
            ins.length === 2 ? 'Add' : 'Sum',
            ins.map((i) => i.name),
            l.name,
          ),
          shape: x.shape,
        };
        break;
      case 'Concatenate': {
        const axis = Number(c.axis ?? -1);
        if (axis !== -1 && axis !== x.shape.length) throw unsupported(l, `axis ${axis} (only the channel axis)`);
        const total = ins.reduce((n, i) => n + i.shape[0]!, 0);
        v = {
          name: b.node(
            'Concat',
            ins.map((i) => i.name),
            l.name,
            { axis: 1 },
          ),
          shape: [total, ...x.shape.slice(1)],
        };
        break;
      }
      default:
        throw unsupported(l, 'no ONNX mapping for this layer type');
    }
    values.set(l.name, v);
  }

  if (opts.outputNames.length !== model.outputs.length)
    throw new AppError('bad_input', `model.json: ${model.outputs.length} outputs, expected ${opts.outputNames.length}`);
  const outputs = model.outputs.map(([n], i): OnnxValue => {
    const v = values.get(n)!;
    const last = byName.get(n)!;
    const name = opts.outputNames[i]!;
    // The heads output logits (softmax lives in the loss); ONNX users get probabilities.
    if (last.config.activation === 'softmax') b.node('Identity', [v.name], name);
    else b.node('Softmax', [v.name], name, { axis: 1 });
    return { name, shape: ['batch', ...v.shape] };
  });
  return { nodes: b.nodes, initializers: b.initializers, inputs, outputs };
}
